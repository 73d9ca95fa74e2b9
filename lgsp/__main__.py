"""``python -m lgsp`` runs the ``lgsp`` command."""

from lgsp.cli import main

main()
