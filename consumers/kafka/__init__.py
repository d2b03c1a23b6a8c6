"""The Kafka layer every command shares: client configuration, settings, transactions,
topics, wire encodings, the local broker, the health and metrics server, logs."""
