"""The command line: the only code that reads argv, prints, and returns exit codes."""
