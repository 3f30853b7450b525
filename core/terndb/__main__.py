"""``python -m terndb [shell] PATH``: the TernDB command line."""

import sys

from terndb.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
