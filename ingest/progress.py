"""What a long job reports while it runs; the CLI draws it, tests and scripts ignore it."""


class Progress:
    """What the build reports while it runs; the CLI draws it, tests ignore it."""

    def stage(self, name: str, total: int) -> None:
        """A new bar; stages may run at the same time (extraction overlaps embedding)."""

    def advance(self, n: int = 1, stage: str | None = None) -> None:
        """Move a stage's bar (the newest one if unnamed); may be called from a worker thread."""

    def grow(self, n: int, stage: str | None = None) -> None:
        """More work for a stage whose total was not known when it started."""

    def note(self, message: str) -> None: ...
