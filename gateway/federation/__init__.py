"""Federation between nodes: links that forward records to other clusters, the border that
verifies what arrives, the trust registry of node keys, delivery receipts and the audit chain."""
