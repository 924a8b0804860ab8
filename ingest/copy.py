"""``wpkb add --copy``: bring an outside PDF into the corpus without ever replacing a file.

Called under the writer lock. The same content under the name is a no-op; different
content under a taken name is an error that names both files. Only PDFs (by their magic
bytes, not their name) are copied, and the copy appears whole or not at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import UsageError, WpkbError
from .files import sha256_of, temp_beside

PDF_MAGIC = b"%PDF-"
MAGIC_WINDOW = 1024  # the header may follow a little junk; readers accept it in the first KiB


def is_pdf(path: Path) -> bool:
    with open(path, "rb") as f:
        return PDF_MAGIC in f.read(MAGIC_WINDOW)


def copy_into(source: Path, corpus: Path, as_name: str | None = None) -> Path:
    """The corpus file that now holds ``source``'s bytes: a new copy, or the file already there."""
    if not source.is_file():
        raise UsageError(f"{source}: no such file")
    if not is_pdf(source):
        raise UsageError(f"{source} is not a PDF (it does not start with %PDF-); only PDF reports can be added")
    name = as_name or source.name
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise UsageError(f"--as '{name}' must be a plain file name, without folders")
    if not name.lower().endswith(".pdf"):
        raise UsageError(f"--as '{name}' must end in .pdf, or the build would not index it")
    corpus.mkdir(parents=True, exist_ok=True)
    dest = corpus / name
    if dest.exists() or dest.is_symlink():
        if dest.exists() and os.path.samefile(source, dest):
            return dest
        if dest.is_file() and sha256_of(dest) == sha256_of(source):
            return dest  # the same report is already there
        raise UsageError(f"{dest} already exists with other content than {source}; nothing was copied. "
                         f"Give the copy another name with `--as NAME.pdf`, or remove {dest} first")
    tmp = temp_beside(dest)
    try:
        shutil.copy2(source, tmp)
        try:
            os.link(tmp, dest)  # fails if the name was taken meanwhile: never an overwrite
        except FileExistsError:
            raise UsageError(f"{dest} appeared while copying {source}; nothing was copied, run the command again") from None
        except OSError:  # a filesystem without hard links: the lock keeps other wpkb writers out
            if dest.exists():
                raise UsageError(f"{dest} appeared while copying {source}; nothing was copied") from None
            os.replace(tmp, dest)
    except OSError as e:
        raise WpkbError(f"could not copy {source} into {corpus} ({e.strerror or e}); "
                        "check the folder is writable and has space") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dest
