"""File helpers every on-disk format shares: content hashes, fsync, atomic replacement."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def sha256_of(path: Path) -> str:
    """sha256 of a regular file's bytes, read in 1 MiB blocks. Opened without blocking, so a
    FIFO put in its place raises instead of waiting forever for a writer."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        h = hashlib.sha256()
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    try:
        fsync_file(path)
    except OSError:  # some filesystems can't fsync a directory; the rename is still atomic
        pass


def remove(path: Path) -> None:
    """Delete a file or a folder, whichever it is; one already gone is no error."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def temp_beside(path: Path) -> Path:
    """A temporary name in the same folder (so ``os.replace`` is atomic), unique per process."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for the block to write; then it is synced and replaces
    ``path`` all at once (readers see the old file or the new one), or is removed on failure."""
    tmp = temp_beside(path)
    try:
        tmp.unlink(missing_ok=True)
        yield tmp
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once: readers see the old file or the new one."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def best_effort_write(path: Path, data: bytes) -> bool:
    """``atomic_write`` for caches: a cache that cannot be written (full disk, read-only
    folder) only costs the time to compute it again, so it is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
        return True
    except OSError:
        return False
