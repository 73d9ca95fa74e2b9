"""Runtime shared by connectors and gateway: Kafka clients, settings, local-broker launcher."""
