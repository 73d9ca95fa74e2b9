"""Connector SDK (source and sink bases, checkpoints) and the reference connectors: the only
code that talks to an agency's own system."""
