"""The gateway's Kafka side: the consume loop, the transactional producers, partition
ownership and restore, batching of outputs and the topics the gateway needs."""
