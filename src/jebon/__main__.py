"""`python -m jebon` runs the command-line interface."""

from .cli import main

main()
