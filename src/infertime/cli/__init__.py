"""Command-line interface: parse flags, call the library, render, map errors to exit codes."""
