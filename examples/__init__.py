"""Examples integrators copy; each is run by a test."""
