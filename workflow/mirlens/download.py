"""Fetch database release files: mirror rewriting, retries, atomic writes, checks, lock file.

A release file is downloaded once into ``resources/db/<host>/<path>`` (the same layout as
a mirror), streamed to a temporary file, checked (size, sha256, readable archive, not an
HTML error page) and only then renamed into place. ``resources/sources.lock.json`` records
URL, size, sha256 and date; later runs verify against it instead of trusting the file.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gzip
import json
import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from mirlens.errors import MirlensError
from mirlens.http import DEFAULT_TIMEOUT, make_session
from mirlens.io import make_readable, sha256_file

log = logging.getLogger(__name__)

LOCK_VERSION = 1
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")
_TEXT_SUFFIXES = {".fa", ".fasta", ".txt", ".tsv", ".csv", ".gmt", ".dat", ".gff3", ".gff", ""}


def url_relpath(url: str) -> str:
    """Mirror-relative path of ``url``: ``host/path`` with ``__query`` appended (ARCHITECTURE)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ftp"):
        raise MirlensError(f"not a remote URL: {url!r}")
    path = unquote(parts.path).lstrip("/")
    if not path or path.endswith("/"):
        raise MirlensError(f"URL does not name a file: {url!r}")
    rel = f"{parts.hostname}/{path}"
    if parts.query:
        rel += "__" + unquote(parts.query)
    if ".." in Path(rel).parts:
        raise MirlensError(f"URL path leaves its host folder: {url!r}")
    return rel


def rewrite_url(url: str, mirror: str | None) -> str:
    """Where to fetch ``url`` from: the URL itself, or its place under a mirror (URL or folder)."""
    if not mirror:
        return url
    rel = url_relpath(url)
    if mirror.startswith(("http://", "https://")):
        return mirror.rstrip("/") + "/" + quote(rel, safe="/=&~-._")
    base = mirror[len("file://") :] if mirror.startswith("file://") else mirror
    return str(Path(base) / rel)


@dataclass(frozen=True)
class FetchResult:
    url: str
    path: str
    size: int
    sha256: str
    fetched_from: str
    downloaded: str


# ---------------------------------------------------------------- content checks


def check_content(path: Path, name: str) -> None:
    """Refuse files that are truncated archives or an HTML page where data was expected."""
    lower = name.lower()
    if lower.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(4096)
                while fh.read(1 << 20):
                    pass
        except (OSError, EOFError) as exc:
            raise MirlensError(f"{name}: not a readable gzip file ({exc})") from exc
        _refuse_html(head, name)
        return
    if lower.endswith((".zip", ".xlsx")):
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
        except zipfile.BadZipFile as exc:
            raise MirlensError(f"{name}: not a readable zip file ({exc})") from exc
        if bad is not None:
            raise MirlensError(f"{name}: zip member {bad} is corrupt")
        return
    with open(path, "rb") as fh:
        head = fh.read(4096)
    _refuse_html(head, name)
    if path.stat().st_size == 0:
        raise MirlensError(f"{name}: empty file")
    suffix = Path(lower.split("__", 1)[0]).suffix
    if suffix in (".fa", ".fasta") and not head.lstrip().startswith(b">"):
        raise MirlensError(f"{name}: expected FASTA ('>' header) but got {head[:40]!r}")


def _refuse_html(head: bytes, name: str) -> None:
    start = head.lstrip()[:200].lower()
    if any(start.startswith(m) or m in start[:100] for m in _HTML_MARKERS):
        raise MirlensError(
            f"{name}: the server sent an HTML page instead of the data file "
            "(miRBase and others do this for moved or missing files)"
        )


# ---------------------------------------------------------------- lock file


@contextlib.contextmanager
def _locked(lock_path: Path):
    """Exclusive lock so parallel fetch jobs update the lock file one at a time."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(lock_path) + ".flock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(guard, fcntl.LOCK_UN)


def read_lock(lock_path: Path) -> dict:
    if not lock_path.exists():
        return {"version": LOCK_VERSION, "sources": {}}
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MirlensError(f"{lock_path}: not valid JSON ({exc})") from exc
    data.setdefault("sources", {})
    return data


def _write_lock(lock_path: Path, data: dict) -> None:
    data["sources"] = dict(sorted(data["sources"].items()))
    fd, tmp = tempfile.mkstemp(prefix=".sources.lock.", dir=lock_path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, lock_path)


# ---------------------------------------------------------------- fetching


def _stream_to(src: str, tmp: Path, session) -> str:
    """Copy ``src`` (URL or local path) into ``tmp``; return where it really came from."""
    if src.startswith(("http://", "https://", "ftp://")):
        with session.get(src, stream=True, timeout=DEFAULT_TIMEOUT) as resp:
            if resp.status_code != 200:
                raise MirlensError(f"GET {src}: HTTP {resp.status_code} {resp.reason}")
            expected = resp.headers.get("Content-Length")
            n = 0
            with open(tmp, "wb") as out:
                for chunk in resp.iter_content(chunk_size=1 << 20):
                    out.write(chunk)
                    n += len(chunk)
            if expected is not None and int(expected) != n:
                raise MirlensError(f"GET {src}: download cut short ({n} of {expected} bytes)")
            return resp.url
    path = Path(src)
    if not path.is_file():
        raise MirlensError(f"not in the mirror folder: {path}")
    shutil.copyfile(path, tmp)
    return str(path)


def fetch(
    url: str,
    dest: str | os.PathLike,
    *,
    mirror: str | None = None,
    sha256: str | None = None,
    lock_path: str | os.PathLike | None = None,
    key: str = "",
    release: str = "",
    session=None,
) -> FetchResult:
    """Download ``url`` to ``dest`` atomically, verify it and record it in the lock file."""
    dest = Path(dest)
    lock = Path(lock_path) if lock_path else None
    locked = read_lock(lock)["sources"].get(url) if lock else None
    pinned = (sha256 or "").lower() or (locked or {}).get("sha256")
    if sha256 and locked and locked.get("sha256") and locked["sha256"] != sha256.lower():
        raise MirlensError(
            f"{url}: sha256 in the config ({sha256}) differs from the lock file "
            f"({locked['sha256']}); update one of them deliberately"
        )

    if dest.exists() and pinned and sha256_file(dest) == pinned:
        log.info("%s: present and verified against sha256 %s", dest, pinned[:12])
        result = FetchResult(url, str(dest), dest.stat().st_size, pinned, "", "")
        return _record(lock, result, key, release, locked)

    src = rewrite_url(url, mirror)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        log.info("fetching %s%s", url, f" from {src}" if src != url else "")
        fetched_from = _stream_to(src, tmp, session or make_session())
        check_content(tmp, dest.name)
        digest = sha256_file(tmp)
        if pinned and digest != pinned:
            raise MirlensError(
                f"{url}: sha256 {digest} does not match the pinned {pinned} "
                "(the release changed upstream, or the download is corrupt)"
            )
        make_readable(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = FetchResult(url, str(dest), dest.stat().st_size, digest, fetched_from, now)
    return _record(lock, result, key, release, locked)


def _record(
    lock: Path | None, result: FetchResult, key: str, release: str, locked: dict | None
) -> FetchResult:
    if lock is None:
        return result
    with _locked(lock):
        data = read_lock(lock)
        entry = dict(locked or {})
        entry.update(
            {
                "url": result.url,
                "key": key or entry.get("key", ""),
                "release": release or entry.get("release", ""),
                "path": result.path,
                "size": result.size,
                "sha256": result.sha256,
            }
        )
        if result.downloaded:  # a verified existing file keeps its original download date
            entry["downloaded"] = result.downloaded
            entry["fetched_from"] = result.fetched_from
        data["sources"][result.url] = entry
        _write_lock(lock, data)
    return result


# ---------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the source's real URL (recorded in the lock)")
    parser.add_argument("--out", required=True, help="destination file")
    parser.add_argument("--mirror", default="", help="URL base or folder that replaces the host")
    parser.add_argument("--sha256", default="", help="expected sha256 (optional pin)")
    parser.add_argument("--lock", default="resources/sources.lock.json", help="lock file")
    parser.add_argument("--key", default="", help="source key in the config, for provenance")
    parser.add_argument("--release", default="", help="release label, for provenance")


def run(args: argparse.Namespace) -> int:
    result = fetch(
        args.url,
        args.out,
        mirror=args.mirror or None,
        sha256=args.sha256 or None,
        lock_path=args.lock or None,
        key=args.key,
        release=args.release,
    )
    log.info("%s: %d bytes, sha256 %s", result.path, result.size, result.sha256)
    return 0
