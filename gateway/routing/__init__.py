"""Pure routing decisions of the gateway: the routing table, transformations, retry tiers,
per-partition key state and what to do with one record. No Kafka, no network, no clock of its
own: everything here is a function of what the runtime hands in."""
