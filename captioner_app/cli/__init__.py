"""The command line: parse, call the core, print one-line errors, exit with documented codes."""
