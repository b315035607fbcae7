"""Fetch database release files: mirror rewriting, retries, atomic writes, checks, lock file.

A release file is downloaded once into ``resources/db/<host>/<path>`` (the same layout as
a mirror), streamed to a hidden ``.part`` file, checked by its format to the last record
(``mirlens.formats``) and against any pinned or locked sha256, and only then renamed into
place. ``resources/sources.lock.json`` records URL, size, sha256 and date; later runs
verify against it instead of trusting the file, and the lock's sha256 (not the URL or
the mirror it came from) decides whether a file is the right one.

Every failure ends in ONE line naming the URL, what went wrong and what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from mirlens.errors import MirlensError
from mirlens.formats import check_file
from mirlens.http import Policy, http_download
from mirlens.io import clean_stale_parts, hold_part, make_readable, sha256_file
from mirlens.lockfile import read_lock, record

log = logging.getLogger(__name__)

MIRROR_ENV = "MIRLENS_MIRROR"  # set by the workflow: where files come from is not a param
PINS_ENV = "MIRLENS_SHA256_PINS"  # JSON {url: sha256}, set by the workflow


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


def _expected_sha(url: str, sha256: str | None, locked: dict | None) -> str:
    """The sha256 the file must have: the pin, else the lock's; a disagreement is refused."""
    pin = (sha256 or "").lower()
    have = (locked or {}).get("sha256", "")
    if pin and have and pin != have:
        raise MirlensError(
            f"{url}: sha256 pinned in the config ({pin[:12]}...) differs from the lock file "
            f"({have[:12]}...); to take the new file, delete its entry in "
            "resources/sources.lock.json, else fix sources.sha256"
        )
    return pin or have


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
    policy: Policy | None = None,
) -> FetchResult:
    """Download ``url`` to ``dest`` atomically, verify it and record it in the lock file."""
    dest = Path(dest)
    lock = Path(lock_path) if lock_path else None
    locked = read_lock(lock)["sources"].get(url) if lock else None
    expected = _expected_sha(url, sha256, locked)
    for stale in (
        clean_stale_parts(dest.parent, f".{dest.name}.*.part") if dest.parent.is_dir() else []
    ):
        log.info("removed %s, left by a download that was killed", stale)

    if dest.exists() and expected:
        if sha256_file(dest) == expected:
            log.info("%s: present and verified against sha256 %s", dest, expected[:12])
            result = FetchResult(url, str(dest), dest.stat().st_size, expected, "", "")
            return record(lock, result, key, release) if lock else result
        log.warning("%s changed on disk since it was downloaded; downloading it again", dest)

    src = rewrite_url(url, mirror)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "r+b") as guard:
            hold_part(guard)  # marks the .part as live until this process ends
            log.info("fetching %s%s", url, f" from {src}" if src != url else "")
            fetched_from = _copy(src, tmp, session, policy or Policy())
            digest = _verify(tmp, dest.name, url, src, expected)
            make_readable(tmp)
            os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = FetchResult(url, str(dest), dest.stat().st_size, digest, fetched_from, now)
    return record(lock, result, key, release) if lock else result


def _copy(src: str, tmp: Path, session, policy: Policy) -> str:
    """Copy ``src`` (URL or mirror folder path) into ``tmp``; return where it came from."""
    if src.startswith(("http://", "https://", "ftp://")):
        return http_download(src, tmp, session=session, policy=policy)
    path = Path(src)
    if not path.is_file():
        raise MirlensError(
            f"{path}: not in the mirror folder (fill it with `mirlens prefetch --out <folder>`, "
            "see README, Offline)"
        )
    shutil.copyfile(path, tmp)
    return str(path)


def _verify(tmp: Path, name: str, url: str, src: str, expected: str) -> str:
    try:
        records = check_file(tmp, name)
    except MirlensError as exc:
        where = f" (from {src})" if src != url else ""
        raise MirlensError(f"{url}{where}: refused, {exc}; nothing was saved") from None
    digest = sha256_file(tmp)
    if expected and digest != expected:
        raise MirlensError(
            f"{url}: sha256 {digest[:12]}... is not the expected {expected[:12]}... (pinned or "
            "in the lock file): the release changed upstream or the source serves another "
            "file; nothing was saved"
        )
    log.info(
        "%s: %d bytes, %d records, format checked to the last record",
        name,
        tmp.stat().st_size,
        records,
    )
    return digest


# ---------------------------------------------------------------- CLI


def _pin_from_env(url: str) -> str:
    try:
        return json.loads(os.environ.get(PINS_ENV) or "{}").get(url, "")
    except json.JSONDecodeError:
        return ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the source's real URL (recorded in the lock)")
    parser.add_argument("--out", required=True, help="destination file")
    parser.add_argument(
        "--mirror", default=None, help=f"URL base or folder that replaces the host (${MIRROR_ENV})"
    )
    parser.add_argument("--sha256", default=None, help=f"expected sha256 (${PINS_ENV})")
    parser.add_argument("--lock", default="resources/sources.lock.json", help="lock file")
    parser.add_argument("--key", default="", help="source key in the config, for provenance")
    parser.add_argument("--release", default="", help="release label, for provenance")


def run(args: argparse.Namespace) -> int:
    mirror = os.environ.get(MIRROR_ENV, "") if args.mirror is None else args.mirror
    sha = _pin_from_env(args.url) if args.sha256 is None else args.sha256
    result = fetch(
        args.url,
        args.out,
        mirror=mirror or None,
        sha256=sha or None,
        lock_path=args.lock or None,
        key=args.key,
        release=args.release,
        policy=Policy.from_env(),
    )
    log.info("%s: %d bytes, sha256 %s", result.path, result.size, result.sha256)
    return 0
