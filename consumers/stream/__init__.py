"""Everything that talks to Kafka: the broker helper, the EOS processor, publish/tail/demo."""
