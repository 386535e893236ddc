"""``python -m docs_build`` runs the CLI."""

from .cli import main

main()
