"""Links: forwarding a node's outbox for a peer to the peer's border, and operator pause/resume."""
