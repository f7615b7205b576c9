"""One module per ``numpycam`` subcommand, each with ``add_arguments(parser)`` and ``run(args)``."""
