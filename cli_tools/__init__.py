"""Command-line tools (import, backup, export). Each has a useful --help."""
