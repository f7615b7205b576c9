"""``python -m numpycam`` is the same as the ``numpycam`` command."""

import sys

from numpycam.cli import main

sys.exit(main())
