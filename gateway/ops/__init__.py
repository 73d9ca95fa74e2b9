"""Operating a gateway: its admin HTTP API, dead-letter handling and readiness."""
