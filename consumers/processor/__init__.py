"""The exactly-once stream processor: the consume-parse-produce-commit loop, its worker pool,
the work a worker does, and its metrics."""
