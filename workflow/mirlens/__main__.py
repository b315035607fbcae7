"""`python -m mirlens`: the same as the `mirlens` console script."""

import sys

from mirlens.cli import main

sys.exit(main())
