"""Trust between nodes: the signed registry of nodes and keys, record signatures, making
trust material, and the node's refreshed copy of the registry."""
