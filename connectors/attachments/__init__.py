"""Attachments of edXML packages, content-addressed: the store a node runs (a folder served
over HTTP), and the checked fetch its sinks use. Files never travel inside a Kafka record."""
