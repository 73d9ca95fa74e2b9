"""Dossier and document tracking: stateful stream processing of dossier and document status
events, the look-up API and the quarterly public-service report."""
