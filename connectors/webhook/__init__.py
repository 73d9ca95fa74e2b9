"""Webhook ingress: agency systems POST JSON events, answered 202 once Kafka has them."""
