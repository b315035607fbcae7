"""Person-readable tables merged from per-shard parts without redoing every shard.

``mentions.tsv`` and ``claims.tsv`` hold every shard's rows sorted by document. Turning a
shard's Parquet or JSONL into TSV lines is most of their cost, so each shard's lines (a
*fragment*, sorted within the shard) are kept in a cache, keyed by the shard file's content
and the code that writes them. A rerun converts only the shards that changed and merges the
fragments: a document lives in one shard, so the merge interleaves whole documents by
``doc_id`` (the first column), which is the order a sort of all rows gives.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, sha256_file, unescape_cell, write_tsv
from mirlens.memo import memo_key

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


def _doc_key(line: str) -> str:
    cell = line[: line.index("\t")]
    return unescape_cell(cell) if "\\" in cell else cell


def _documents(path: Path) -> Iterator[tuple[str, str]]:
    """(doc_id, its lines) of a fragment, in the fragment's order (header skipped)."""
    with open(path, encoding="utf-8", newline="\n") as fh:
        next(fh, None)
        for doc, lines in itertools.groupby(fh, key=_doc_key):
            yield doc, "".join(lines)


def _header(path: Path) -> str:
    with open(path, encoding="utf-8", newline="\n") as fh:
        return fh.readline()


def fragments(
    inputs: Sequence[str], folder: Path, code_key: str, shard_rows: Callable[[str], pd.DataFrame]
) -> tuple[list[Path], int]:
    """Each input's fragment in ``folder`` (built by ``shard_rows`` where missing), and the
    number built."""
    out, built = [], 0
    for path in inputs:
        if not os.path.isfile(path):
            raise MirlensError(f"shard table not found: {path}")
        key = hashlib.sha256(f"{code_key}\n{sha256_file(path)}".encode()).hexdigest()[:24]
        fragment = folder / f"{key}.tsv"
        if not fragment.is_file():
            write_tsv(shard_rows(path), fragment)
            built += 1
        out.append(fragment)
    return out, built


def merge_fragments(parts: Sequence[Path], out: str | os.PathLike, columns: list[str]) -> int:
    """The fragments' rows in document order as one TSV at ``out``; the number of rows."""
    n = 0
    with atomic_open(out) as fh:
        fh.write("\t".join(columns) + "\n")
        merged = heapq.merge(*(_documents(p) for p in parts), key=itemgetter(0))
        for _, block in merged:
            fh.write(block)
            n += block.count("\n")
    return n


def _prune(folder: Path, keep: set[Path]) -> None:
    """Fragments of shards that are gone or changed: a cache, not an archive."""
    for path in folder.glob("*.tsv"):
        if path not in keep:
            path.unlink(missing_ok=True)


def merge_by_document(
    inputs: Sequence[str],
    out: str | os.PathLike,
    columns: list[str],
    shard_rows: Callable[[str], pd.DataFrame],
    code: Sequence[str],
    cache_dir: str | os.PathLike | None = None,
) -> int | None:
    """Merge the shards' tables into ``out`` through cached fragments (a temporary folder
    without ``cache_dir``). ``shard_rows(path)``: one shard's rows, sorted, ``columns``
    first; ``code``: the package files that decide them. Returns the number of rows, or None
    (``out`` not written) when a shard has other columns: the caller merges in memory."""
    header = "\t".join(columns) + "\n"
    code_key = f"{memo_key('fragment', code, [])}\n{header}"  # new columns: new fragments
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(cache_dir) if cache_dir else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        parts, built = fragments(inputs, folder, code_key, shard_rows)
        if any(_header(p) != header for p in parts):
            return None
        n = merge_fragments(parts, out, columns)
        if cache_dir:
            _prune(folder, set(parts))
    log.info("%d rows from %d shards (%d converted, the rest cached)", n, len(parts), built)
    return n
