"""The one exception type wpkb raises for problems a user can fix."""


class WpkbError(Exception):
    """A problem with the user's input or environment; the message says what to do.

    The CLI prints the message as one line on stderr and exits non-zero.
    """

    exit_code = 1


class UsageError(WpkbError):
    """A command was given a document, page or file that does not exist."""

    exit_code = 2
