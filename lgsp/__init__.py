"""Composition root: the ``lgsp`` command and the demo. The one place that wires everything."""
