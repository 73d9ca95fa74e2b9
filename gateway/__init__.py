"""The gateway of a node: routing, transformation, retries, dead letters and dedup, with
consume-transform-produce in Kafka transactions."""
