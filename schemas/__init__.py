"""The contract shared by every node: schemas, codec, envelope, identifiers, topic names, errors.

Pure: nothing in this package touches the network or Kafka.
"""
