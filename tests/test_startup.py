"""Startup checks: which calls are passive, stale locks of killed runs, offline detection."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from mirlens import startup


def test_passive_calls_are_recognised():
    for argv in (["-n"], ["--dry-run"], ["-np"], ["--lint"], ["--summary"], ["--unlock"]):
        assert startup.is_passive(["snakemake", "--cores", "2", *argv]), argv
    for argv in ([], ["-c1"], ["--rerun-incomplete"], ["--forceall"], ["-p"]):
        assert not startup.is_passive(["snakemake", "--cores", "2", *argv]), argv


def _locked_workdir(tmp_path, pid: int, start: str | None = None) -> None:
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("x")
    (locks / "0.output.lock").write_text("y")
    marker = tmp_path / startup.RUN_MARKER
    owner = {"pid": pid, "host": socket.gethostname(), "start": start}
    marker.write_text(json.dumps(owner))


def test_lock_of_a_dead_run_is_removed_but_not_of_a_live_one(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _locked_workdir(tmp_path, dead.pid)
    assert startup.remove_stale_locks(tmp_path)
    assert list((tmp_path / ".snakemake" / "locks").iterdir()) == []
    # a live run keeps its lock; a reused pid (another start time) does not
    live, reused = tmp_path / "live", tmp_path / "reused"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _locked_workdir(live, proc.pid, startup._start_time(proc.pid))
        assert not startup.remove_stale_locks(live)
        assert len(list((live / ".snakemake" / "locks").iterdir())) == 2
        _locked_workdir(reused, proc.pid, "1")
        assert startup.remove_stale_locks(reused)
    finally:
        proc.kill()
        proc.wait()


def test_offline_is_one_line_naming_the_mirror_setting():
    msg = startup.offline_problem(["https://mirbase.invalid/a.fa", "https://ncbi.invalid/b.gz"])
    assert msg is not None and "\n" not in msg and "mirror:" in msg
    assert startup.offline_problem([]) is None
