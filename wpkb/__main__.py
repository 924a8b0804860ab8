"""``python -m wpkb``: the same command line as ``wpkb``."""

from wpkb.search.cli import main

main()
