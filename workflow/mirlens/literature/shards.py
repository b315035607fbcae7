"""Which shard a document belongs to, shard names, and the shard table.

A document's shard depends only on its doc_id and the number of shards (jump consistent
hash, Lamping & Veach 2014): growing from n to n + 1 shards moves only ~1/(n + 1) of the
documents, so the number of shards can grow with the literature without regrouping every
document (each moved document is still found in the per-document extraction cache).

Kept free of pandas: the Snakefile imports it to name shard files and read shard digests.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_MULT = 2862933555777941757
_MASK = (1 << 64) - 1


def jump_hash(key: int, n_buckets: int) -> int:
    """Bucket in [0, n_buckets) of a 64-bit key; monotone when n_buckets grows."""
    b, j = -1, 0
    while j < n_buckets:
        b = j
        key = (key * _MULT + 1) & _MASK
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def shard_of(doc_id: str, n_shards: int) -> int:
    """Stable shard number of a document id (independent of every other document)."""
    digest = hashlib.sha256(doc_id.encode("utf-8", "surrogateescape")).digest()
    return jump_hash(int.from_bytes(digest[:8], "big"), n_shards)


def shard_width(n_shards: int) -> int:
    return max(3, len(str(n_shards - 1)))


def shard_label(shard: int, n_shards: int) -> str:
    """Zero-padded shard name used in every file name and table ('000', ..., '2047' -> 4)."""
    return f"{shard:0{shard_width(n_shards)}d}"


def shard_labels(n_shards: int) -> list[str]:
    return [shard_label(i, n_shards) for i in range(n_shards)]


_TABLE_CACHE: dict[str, tuple[tuple[int, int], dict[str, str]]] = {}


def shard_digests(table: str | os.PathLike) -> dict[str, str]:
    """shard label -> sha256 from shards.tsv, parsed once per file version (the Snakefile
    asks once per extract job; re-reading the table each time made the DAG quadratic)."""
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
