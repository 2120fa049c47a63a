"""`python -m infertime`."""

from .cli.app import entry

entry()
