"""One module per CLI command: `add_arguments(parser)` and `execute(args) -> CommandResult`."""
