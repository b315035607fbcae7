"""Checks the workflow runs before any job: what a killed run left, downloads, the network.

Called from ``workflow/rules/common.smk`` (and its ``onstart`` hook), so that one rerun
command recovers from kill -9 anywhere and a missing network ends in one short message.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from mirlens.download import fetch
from mirlens.http import OFFLINE_HINT
from mirlens.io import clean_stale_parts
from mirlens.lockfile import check_downloads

log = logging.getLogger(__name__)

RUN_MARKER = ".snakemake/mirlens-run.json"  # pid + host of the Snakemake run in progress


# ---------------------------------------------------------------- kill -9 leftovers


def mark_run(workdir: str | Path = ".") -> None:
    """Record this Snakemake process (called once it holds Snakemake's directory lock)."""
    path = Path(workdir) / RUN_MARKER
    path.parent.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    owner = {"pid": pid, "host": socket.gethostname(), "start": _start_time(pid)}
    path.write_text(json.dumps(owner))


def unmark_run(workdir: str | Path = ".") -> None:
    (Path(workdir) / RUN_MARKER).unlink(missing_ok=True)


def remove_stale_locks(workdir: str | Path = ".") -> bool:
    """Drop Snakemake's directory lock when the run that took it is dead (kill -9).

    Snakemake cannot tell a stale lock from a live one and asks for ``--unlock``; our
    marker names the process that held it. Only a run on this host that no longer exists
    is taken for dead; anything uncertain is left to Snakemake.
    """
    work = Path(workdir)
    locks = list((work / ".snakemake" / "locks").glob("*.lock"))
    marker = work / RUN_MARKER
    if not locks or not marker.is_file():
        return False
    try:
        owner = json.loads(marker.read_text())
        pid, host, start = int(owner["pid"]), owner["host"], owner.get("start")
    except (ValueError, KeyError, TypeError):
        return False
    if host != socket.gethostname() or _alive(pid, start):
        return False
    for lock in locks:
        lock.unlink(missing_ok=True)
    marker.unlink(missing_ok=True)
    log.warning("removed the lock left by a killed run (pid %d)", pid)
    return True


def _alive(pid: int, start: str | None) -> bool:
    """Is the process that wrote the marker still running? (A reused pid has another
    start time; when that cannot be read, assume it is alive.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    now = _start_time(pid)
    return now is None or start is None or now == start


def _start_time(pid: int) -> str | None:
    """Start time of ``pid`` in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def clean_leftovers(folders: Iterable[str] = ("results", "resources")) -> list[Path]:
    """Remove hidden ``.part`` files that killed jobs left (their writers are gone)."""
    removed = []
    for folder in folders:
        removed.extend(clean_stale_parts(folder))
    for path in removed:
        log.info("removed %s (left by a killed job)", path)
    return removed


# ---------------------------------------------------------------- downloads


def repair_changed_downloads(
    lock: Path, paths: Iterable[str], dry_run: bool, mirror: str | None
) -> dict[str, str]:
    """Downloaded files edited since their download: fetched again at once and checked
    against the lock's sha256 (a dry run only reports). Returns path -> message.

    Done here, not by the ``fetch`` rule: Snakemake does not rerun a job for a missing
    input whose outputs are up to date. The repaired file gets back the mtime the lock
    recorded, so nothing computed from the original content reruns.
    """
    out = {}
    for c in check_downloads(lock, paths):
        what = "would download it again" if dry_run else "downloading it again"
        out[c.path] = (
            f"{c.path} changed after its download (sha256 {c.sha256[:12]}..., the lock "
            f"file says {c.locked[:12]}...): {what}"
        )
        log.warning("%s", out[c.path])
        if not dry_run:
            fetch(c.url, c.path, mirror=mirror or None, sha256=c.locked)
            if c.mtime_ns:
                os.utime(c.path, ns=(c.mtime_ns, c.mtime_ns))
    return out


def offline_problem(urls: Iterable[str], timeout: float = 5.0) -> str | None:
    """One line when none of the hosts of ``urls`` resolves (no network), else None.

    The hosts are looked up at once, in threads, so a hanging resolver costs ``timeout``
    seconds in all.
    """
    hosts = sorted({urlsplit(u).hostname for u in urls if urlsplit(u).hostname})
    if not hosts:
        return None
    found: list[str] = []
    threads = [threading.Thread(target=_lookup, args=(h, found), daemon=True) for h in hosts]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if found:
            return None
    return (
        f"cannot reach the database hosts ({', '.join(hosts[:3])}"
        f"{', ...' if len(hosts) > 3 else ''}: their names do not resolve); {OFFLINE_HINT}"
    )


def _lookup(host: str, found: list[str]) -> None:
    try:
        socket.getaddrinfo(host, 443)
        found.append(host)
    except OSError:
        pass


# ---------------------------------------------------------------- what kind of run


_PASSIVE_LONG = {
    "--dry-run",
    "--dryrun",
    "--lint",
    "--summary",
    "--detailed-summary",
    "--list",
    "--list-rules",
    "--list-target-rules",
    "--unlock",
    "--report",
    "--dag",
    "--rulegraph",
    "--filegraph",
    "--cleanup-metadata",
    "--list-changes",
    "--lc",
    "--li",
    "--lp",
}


def is_passive(argv: list[str]) -> bool:
    """True for a Snakemake call that runs no job (dry run, lint, summary, unlock, ...):
    then nothing is deleted or checked over the network."""
    for arg in argv[1:]:
        if arg.split("=", 1)[0] in _PASSIVE_LONG:
            return True
        if arg.startswith("-") and not arg.startswith("--") and arg[1:].isalpha():
            if "n" in arg[1:] or "S" in arg[1:]:
                return True
    return False
