"""Signed delivery receipts: made by the recipient's border, read back by the sender's node."""
