"""wpkb: a white-paper knowledge base for the terminal.

``wpkb.ingest`` turns PDF reports into a knowledge base on disk; ``wpkb.search`` answers
questions from it. The two live in the top-level folders ``ingest/`` and ``search/`` and
are installed as subpackages of this one.
"""

__version__ = "0.2.0"
