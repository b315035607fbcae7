"""Which shard a document belongs to, shard names, and the shard table.

Shards follow the inputs, so that new papers make new shards. Documents are taken in
reading order (inputs as given, folders sorted) and cut into shards of about
``shard_docs`` documents:

- a file holding ``shard_docs`` documents or more is cut by position into its own shards
  (``<file id>-0000``, ``-0001``, ...): documents appended to it change only its last
  shard and add new ones;
- smaller files are grouped with their neighbours. A file starts a new group when its own
  id says so (with probability ``n_docs / shard_docs``, so groups hold ``shard_docs``
  documents on average whatever the file sizes) or when the group would exceed twice
  ``shard_docs``. The cut points are properties of the files themselves (content-defined
  chunking, as rsync and backup tools cut byte streams), so a new file changes only the
  group it falls into, never the grouping of every other file.

The plan depends only on the inputs, so an incremental run and a from-scratch run on the
same documents have the same shards. Kept free of pandas: the Snakefile imports it to
read shard labels and digests.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# <10 hex digits of the file's id>-<chunk number>; what the Snakefile's wildcard accepts
LABEL_PATTERN = r"[0-9a-f]{10}-\d{4,}"
SHARD_WILDCARD = r"[0-9a-f]+-\d+"  # the same for Snakemake, which takes no {m,n} there
ID_HEX = 10


def file_id(path: str) -> str:
    """Stable id of an input file (its path as given): names its shards and cache files."""
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:ID_HEX]


def piece_label(fid: str, chunk: int) -> str:
    return f"{fid}-{chunk:04d}"


def starts_group(fid: str, n_docs: int, shard_docs: int) -> bool:
    """A file cuts the stream before itself with probability n_docs / shard_docs (by its id)."""
    return int(fid[:8], 16) / 0x1_0000_0000 < n_docs / shard_docs


@dataclass
class Piece:
    """Documents [start, end) of one input file, in the file's order (after deduplication);
    the unit of the per-document extraction cache."""

    path: str
    start: int
    end: int
    label: str


@dataclass
class Shard:
    label: str
    pieces: list[Piece] = field(default_factory=list)

    @property
    def n_docs(self) -> int:
        return sum(p.end - p.start for p in self.pieces)


def _chunks(path: str, fid: str, n_docs: int, shard_docs: int) -> list[Shard]:
    out = []
    for chunk, start in enumerate(range(0, n_docs, shard_docs)):
        label = piece_label(fid, chunk)
        end = min(start + shard_docs, n_docs)
        out.append(Shard(label, [Piece(path, start, end, label)]))
    return out


def plan_shards(files: Sequence[tuple[str, int]], shard_docs: int) -> list[Shard]:
    """Shards of files given as (path, number of kept documents) in reading order."""
    if shard_docs < 1:
        raise ValueError(f"shard_docs must be at least 1 (got {shard_docs})")
    shards: list[Shard] = []
    group: Shard | None = None
    for path, n_docs in files:
        if n_docs <= 0:
            continue
        fid = file_id(path)
        if n_docs >= shard_docs:
            shards.extend(_chunks(path, fid, n_docs, shard_docs))
            group = None
            continue
        cut = starts_group(fid, n_docs, shard_docs) or group is None
        if cut or group.n_docs + n_docs > 2 * shard_docs:
            group = Shard(piece_label(fid, 0))
            shards.append(group)
        group.pieces.append(Piece(path, 0, n_docs, piece_label(fid, 0)))
    return shards


_TABLE_CACHE: dict[str, tuple[tuple[int, int], dict[str, str]]] = {}


def shard_digests(table: str | os.PathLike) -> dict[str, str]:
    """shard label -> sha256 from shards.tsv (in the table's order), parsed once per file
    version (the Snakefile asks once per extract job; re-reading made the DAG quadratic)."""
    path = str(table)
    st = os.stat(path)
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _TABLE_CACHE.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    digests = {}
    with open(path, encoding="utf-8") as fh:
        next(fh, None)
        for line in fh:
            shard, _n, digest = line.rstrip("\n").split("\t")[:3]
            digests[shard] = digest
    _TABLE_CACHE[path] = (stamp, digests)
    return digests


def is_shard_file(name: str) -> bool:
    """A shard file name of this or an earlier layout (numbered shards of hash sharding)."""
    return re.fullmatch(rf"(?:{LABEL_PATTERN}|\d{{3,}})\.jsonl", name) is not None


def listing_digest(paths: list[str], list_files) -> str:
    """Digest of what the literature folders hold: every entry's name, size and mtime.

    It decides only whether `collect` reads the documents again (a stat per file, no
    document is a Snakemake input, so a symlink loop or an odd name cannot stop the DAG);
    `collect` then compares contents, and only shards whose bytes changed rerun.
    """
    h = hashlib.sha256()
    for entry in paths:
        files = list_files(entry) if os.path.isdir(entry) else [entry]
        for path in files:
            try:
                st = os.lstat(path)
                stamp = f"{st.st_size}:{st.st_mtime_ns}:{st.st_mode}"
            except OSError as exc:
                stamp = f"error:{exc.errno}"
            h.update(os.fsencode(path) + b"\0" + stamp.encode() + b"\n")
    return h.hexdigest()


def shard_path(out_dir: str | Path, label: str) -> Path:
    return Path(out_dir) / "shards" / f"{label}.jsonl"
