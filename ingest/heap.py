"""Give memory that C libraries freed back to the system (glibc only; elsewhere a no-op)."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)


def trim() -> None:
    """glibc keeps freed blocks in its heaps; OCR's feature maps alone left ~1 GB there."""
    f = _malloc_trim()
    if f is not None:
        f(0)
