"""``python -m numpycam`` is the same as the ``numpycam`` command."""

import sys

from numpycam.cli import main

if __name__ == "__main__":  # not when a worker process of `numpycam train` imports this module
    sys.exit(main())
