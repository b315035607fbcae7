"""What `collect` may take from its last run instead of reading again: git's index rule.

A file is unchanged when its stat fields (device, inode, size, mtime and ctime, in ns)
equal the ones recorded when it was read and were already settled then; otherwise its
bytes are hashed and compared with the recorded sha256, and only a file whose content
differs is parsed again. "Settled" is git's racy-entry guard: a file whose mtime or ctime
is less than ``SETTLE_NS`` older than the run that read it could still change within the
same timestamp tick, so its stat fields alone prove nothing and it is hashed next time.
ctime is set by the kernel on every content or metadata change and cannot be set back by
``touch -d``, so a same-size edit with its mtime forced back is still seen. Only a clock
set back or a raw edit of the disk could change content with all five fields kept.

The index (one marshal file per output folder, under the read cache) holds, per input file, its
record and the documents.tsv rows read from it, and per shard the signature of what went
into it and its file's record. A damaged or missing index costs one full read.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import stat
import sys
from dataclasses import astuple, dataclass, field
from pathlib import Path

from mirlens.io import atomic_open, sha256_file

log = logging.getLogger(__name__)

# Coarsest timestamp tick of a common file system (FAT: 2 s; ext3, HFS+, some NFS: 1 s).
SETTLE_NS = 2_000_000_000
VERSION = "1"


@dataclass(frozen=True)
class Seen:
    """A file as read: its stat fields, the sha256 of its bytes, and whether the stat
    fields were settled (old enough to be trusted) when it was read."""

    stat: tuple[int, int, int, int, int]  # dev, ino, size, mtime_ns, ctime_ns
    sha256: str
    settled: bool


@dataclass
class Index:
    """The last collect's view: input path -> (Seen, its rows as read), and shard label
    -> (plan signature, Seen of the shard file)."""

    files: dict[str, tuple[Seen, list[tuple[str, ...]]]] = field(default_factory=dict)
    shards: dict[str, tuple[str, Seen]] = field(default_factory=dict)


def _regular(path: str) -> os.stat_result | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _fields(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _settled(st: os.stat_result, start_ns: int) -> bool:
    return max(st.st_mtime_ns, st.st_ctime_ns) < start_ns - SETTLE_NS


def observe(path: str, start_ns: int) -> Seen | None:
    """The file's record now (stat, then hash), or None when it is not a regular file."""
    st = _regular(path)
    if st is None:
        return None
    return Seen(_fields(st), sha256_file(path), _settled(st, start_ns))


def unmoved(path: str, seen: Seen | None) -> Seen | None:
    """``seen`` when the file's stat fields still equal it (it did not change while it
    was read), else None: such a read is used once but not recorded."""
    st = _regular(path)
    return seen if seen is not None and st is not None and _fields(st) == seen.stat else None


def still(path: str, seen: Seen | None, start_ns: int) -> Seen | None:
    """The refreshed record of a file whose content is the recorded one, else None."""
    st = _regular(path)
    if st is None or seen is None or st.st_size != seen.stat[2]:
        return None
    if seen.settled and _fields(st) == seen.stat:
        return seen
    if sha256_file(path) != seen.sha256:
        return None
    return Seen(_fields(st), seen.sha256, _settled(st, start_ns))


def index_path(cache_dir: str | Path, out_dir: str | Path) -> Path:
    where = os.fsencode(os.path.abspath(out_dir))
    return Path(cache_dir) / "collect" / f"{hashlib.sha256(where).hexdigest()[:16]}.marshal"


def load(path: Path, version: str) -> Index:
    """The recorded index, or an empty one (none yet, another code version, unreadable)."""
    try:
        with open(path, "rb") as fh:
            found, files, shards = marshal.loads(fh.read())  # load(fh): 8x slower
        if found != _stamp(version):
            return Index()
        return Index(
            {p: (Seen(*seen), rows) for p, (seen, rows) in files.items()},
            {label: (sig, Seen(*seen)) for label, (sig, seen) in shards.items()},
        )
    except FileNotFoundError:
        return Index()
    except Exception as exc:  # a damaged cache costs a full read, never the run
        log.warning("ignoring unreadable collect index %s: %s", path, exc)
        return Index()


def store(path: Path, version: str, index: Index) -> None:
    """marshal, not pickle: plain tuples of strings, dumped 5x faster (a 100k-row index
    is rewritten on every run that read a file)."""
    files = {p: (astuple(seen), tuple(rows)) for p, (seen, rows) in index.files.items()}
    shards = {label: (sig, astuple(seen)) for label, (sig, seen) in index.shards.items()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "wb") as fh:
            marshal.dump((_stamp(version), files, shards), fh)
    except OSError as exc:  # a read-only cache must not stop the run
        log.warning("cannot write collect index %s: %s", path, exc)


def _stamp(version: str) -> str:
    # marshal's format may change between Python versions
    return f"{VERSION}:{version}:{sys.version_info[:2]}"
