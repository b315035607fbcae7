"""Pickled build products (a parsed miRBase release, a gene lexicon), keyed by what they are
built from: the code that builds them, the files they read (by content) and the options.

Building them takes 3-5 s per job, longer than a small job's own work; a rerun with a few
new papers runs a few small jobs, so the parse is paid once per release instead. The key
covers everything that decides the product, so a pickle never outlives its inputs; the
cache folder is the workflow's own (``resources/cache/``), never a user's file. A damaged or
unwritable cache only costs a rebuild.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from mirlens.io import atomic_open

log = logging.getLogger(__name__)

PKG = Path(__file__).resolve().parent
T = TypeVar("T")


def file_digest(path: Path, h) -> None:
    h.update(str(path.name).encode() + b"\0")
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)


def tree_digest(path: Path, h) -> None:
    """A file, or every file under a folder (sorted; no __pycache__), into ``h``."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and "__pycache__" not in child.parts:
                file_digest(child, h)
    elif path.is_file():
        file_digest(path, h)


def memo_key(kind: str, code: Iterable[str], parts: Iterable[object]) -> str:
    """sha256 (16 hex) of the package code named in ``code`` and of ``parts``: an existing
    file or folder counts by its content, anything else by its text."""
    h = hashlib.sha256(f"mirlens {kind}\n".encode())
    for name in code:
        tree_digest(PKG / name, h)
    for part in parts:
        h.update(f"{part}\n".encode())
        if isinstance(part, str | os.PathLike) and str(part) and os.path.exists(part):
            tree_digest(Path(part), h)
    return h.hexdigest()[:16]


def memoised(path: Path | None, build: Callable[[], T]) -> T:
    """The object pickled at ``path``, or ``build()`` pickled there (no cache: ``None``)."""
    if path is not None and path.is_file():
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except Exception as exc:  # a damaged pickle only costs a rebuild
            log.warning("ignoring unreadable cache %s: %s", path, exc)
    obj = build()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(path, "wb") as fh:
                pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            log.warning("cannot write cache %s: %s", path, exc)
    return obj
