"""``resources/sources.lock.json``: what each downloaded file IS (size, sha256), not where from.

Updated under an exclusive file lock (parallel fetch jobs on a shared filesystem), written
atomically and group/world-readable like any other output. ``check_downloads`` compares
the files on disk with it before a run: a file changed after its download is found there.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, sha256_file

LOCK_VERSION = 1


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Exclusive lock so parallel fetch jobs update the lock file one at a time."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(lock_path) + ".flock", "a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(guard, fcntl.LOCK_UN)


def read_lock(lock_path: Path | None) -> dict:
    if lock_path is None or not lock_path.exists():
        return {"version": LOCK_VERSION, "sources": {}}
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MirlensError(
            f"{lock_path}: not valid JSON ({exc}); delete it to verify every download again"
        ) from None
    data.setdefault("sources", {})
    return data


def write_lock(lock_path: Path, data: dict) -> None:
    """Write atomically (call under ``locked``), readable like a normal file (not 0600)."""
    data["sources"] = dict(sorted(data["sources"].items()))
    with atomic_open(lock_path) as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")


def record(lock: Path, result: Any, key: str, release: str) -> Any:
    """Record a verified file (a ``FetchResult``) in the lock; keep the first download date."""
    with locked(lock):
        data = read_lock(lock)
        entry = dict(data["sources"].get(result.url) or {})
        entry.update(
            {
                "url": result.url,
                "key": key or entry.get("key", ""),
                "release": release or entry.get("release", ""),
                "path": result.path,
                "size": result.size,
                "sha256": result.sha256,
                "mtime_ns": Path(result.path).stat().st_mtime_ns,
            }
        )
        if result.downloaded:  # a verified existing file keeps its original download date
            entry["downloaded"] = result.downloaded
            entry["fetched_from"] = result.fetched_from
        data["sources"][result.url] = entry
        write_lock(lock, data)
    return result


@dataclass(frozen=True)
class Changed:
    url: str
    path: str
    sha256: str  # on disk
    locked: str  # in the lock file
    mtime_ns: int | None  # of the verified file, as the lock recorded it


def check_downloads(lock_path: Path, paths: Iterable[str]) -> list[Changed]:
    """Downloaded files whose content is no longer what the lock recorded.

    Files whose size and mtime still match the lock are trusted without hashing (cheap
    enough for every Snakemake start); others are hashed, and a file that is unchanged
    after all gets its new mtime recorded.
    """
    data = read_lock(lock_path)
    by_path = {e.get("path"): e for e in data["sources"].values()}
    changed, touched = [], []
    for path in paths:
        entry = by_path.get(path)
        if not entry or not entry.get("sha256") or not os.path.isfile(path):
            continue
        st = os.stat(path)
        if st.st_size == entry.get("size") and st.st_mtime_ns == entry.get("mtime_ns"):
            continue
        digest = sha256_file(path)
        if digest == entry["sha256"]:
            touched.append((entry["url"], st.st_mtime_ns))
        else:
            changed.append(
                Changed(entry["url"], path, digest, entry["sha256"], entry.get("mtime_ns"))
            )
    if touched:
        with locked(lock_path):
            data = read_lock(lock_path)
            for url, mtime in touched:
                data["sources"][url]["mtime_ns"] = mtime
            write_lock(lock_path, data)
    return changed


def pin_conflicts(lock_path: Path, pins: dict[str, str]) -> list[str]:
    """Config pins (``sources.sha256``) that contradict the lock: one message each."""
    sources = read_lock(lock_path)["sources"]
    out = []
    for url, pin in sorted(pins.items()):
        have = (sources.get(url) or {}).get("sha256", "")
        if have and pin.lower() != have:
            out.append(
                f"config key 'sources.sha256' pins {url} to {pin[:12]}..., but the verified "
                f"download in {lock_path} has {have[:12]}...: fix the pin, or delete that "
                "entry of the lock file (and the file) to download the new release"
            )
    return out
