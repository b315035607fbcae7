"""A real single-node SLURM cluster on localhost for the tests (munged, slurmctld, slurmd).

Everything but the config lives in one temporary folder (state, spool, logs, munge key and
socket), on ports of its own. The config goes to SLURM's default place, /etc/slurm/slurm.conf,
as on a real cluster: the executor plugin's job step drops ``SLURM_CONF`` from the environment
of its nested ``srun``, which then only finds the default file. It is written only where none
exists and removed again by ``stop()``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SLURM_CONF = Path("/etc/slurm/slurm.conf")
PACKAGES = ("slurm-wlm", "munge")
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")
# Long enough for the executor plugin to pick squeue for status checks (it wants >= 3x the
# first status-check delay) and for the test to read finished jobs back from slurmctld.
MIN_JOB_AGE = 3600


def missing_tools() -> list[str]:
    return [tool for tool in DAEMONS if shutil.which(tool) is None]


def install_packages() -> str:
    """apt-get install slurm-wlm and munge when missing and we are root; '' or why not."""
    if not missing_tools():
        return ""
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return f"{' '.join(missing_tools())} missing (apt-get install {' '.join(PACKAGES)})"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=600"]  # another test may be installing chromium
    subprocess.run([apt, *lock, "update"], env=env, capture_output=True, timeout=900)
    proc = subprocess.run(
        [apt, *lock, "install", "-y", "--no-install-recommends", *PACKAGES],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if missing_tools():
        return f"apt-get install {' '.join(PACKAGES)} failed: {proc.stderr[-2000:]}"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_hardware() -> dict[str, str]:
    """CPUs and memory of this machine as slurmd reports them (`slurmd -C`)."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"(\w+)=(\S+)", out.splitlines()[0]))
    keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
    hw = {k: fields[k] for k in keep if k in fields}
    hw["RealMemory"] = fields["RealMemory"]
    return hw


def slurm_conf(root: Path, hw: dict[str, str]) -> str:
    ports = (free_port(), free_port())
    node = " ".join(f"{k}={v}" for k, v in hw.items())
    # A job without a memory request must not take the whole node: DefMemPerCPU.
    def_mem = max(256, int(hw["RealMemory"]) // (4 * int(hw["CPUs"])))
    return f"""\
ClusterName=mirlens-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU={def_mem}
MinJobAge={MIN_JOB_AGE}
ReturnToService=2
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/log/jobcomp.txt
NodeName=localhost NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


class LocalSlurm:
    """Start munged, slurmctld and slurmd under ``root``; ``stop()`` ends exactly those."""

    def __init__(self, root: Path, conf: Path = SLURM_CONF) -> None:
        self.root = root
        self.conf = conf
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.pid_files: list[Path] = []
        self.wrote_conf = False

    def start(self, timeout: float = 120) -> None:
        if self.conf.exists():
            raise FileExistsError(f"{self.conf} exists: this machine has a SLURM of its own")
        for sub in ("munge", "state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "munge").chmod(0o700)
        self.conf.parent.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(slurm_conf(self.root, node_hardware()))
        self.wrote_conf = True
        self._start_munge()
        self._daemon(["slurmctld", "-i"], self.root / "slurmctld.pid")
        self._daemon(["slurmd", "-N", "localhost"], self.root / "slurmd.pid")
        self.wait_idle(timeout)

    def _start_munge(self) -> None:
        m = self.root / "munge"
        key = m / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o600)
        pid = m / "munged.pid"
        cmd = [
            "munged",
            "--force",
            f"--socket={m / 'munge.socket'}",
            f"--key-file={key}",
            f"--pid-file={pid}",
            f"--log-file={m / 'munged.log'}",
            f"--seed-file={m / 'munged.seed'}",
        ]
        self._daemon(cmd, pid)

    def _daemon(self, cmd: list[str], pid_file: Path) -> None:
        """Run a daemon that forks into the background and wait for its pid file."""
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=60)
        self.pid_files.append(pid_file)
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text().strip()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[0]} did not start: {proc.stderr}\n{self.logs()}")
            time.sleep(0.2)

    def wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            state = self.run("sinfo", "-h", "-N", "-o", "%T", check=False).stdout.strip()
            if state == "idle":
                return
            time.sleep(1)
        raise RuntimeError(f"node not idle after {timeout}s (state {state!r})\n{self.logs()}")

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            cmd, env=self.env, capture_output=True, text=True, timeout=60, check=check
        )

    def jobs(self) -> list[dict[str, str]]:
        """Every job slurmctld still knows (MinJobAge keeps finished ones): id, name, state,
        CPUs, memory and comment (the executor plugin writes the rule or group there)."""
        out = self.run("squeue", "--states=all", "-h", "-o", "%i|%j|%T|%C|%m|%k").stdout
        keys = ("id", "name", "state", "cpus", "mem", "comment")
        return [dict(zip(keys, line.split("|"), strict=True)) for line in out.splitlines()]

    def logs(self) -> str:
        parts = []
        for p in sorted(self.root.rglob("*.log")):
            parts.append(f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Cancel our jobs, SIGTERM each daemon we started (newest first, by the pid in its own
        pid file) and remove the config we wrote."""
        if self.pid_files:
            ids = [j["id"] for j in self.jobs_or_none() if j["state"] in ("PENDING", "RUNNING")]
            if ids:
                self.run("scancel", *ids, check=False)
        for pid_file in reversed(self.pid_files):
            try:
                pid = int(pid_file.read_text().strip())
            except (OSError, ValueError):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.2)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.pid_files.clear()
        if self.wrote_conf:
            self.conf.unlink(missing_ok=True)
            self.wrote_conf = False

    def jobs_or_none(self) -> list[dict[str, str]]:
        try:
            return self.jobs()
        except (subprocess.SubprocessError, ValueError):
            return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes (its parent, the daemon's launcher, exited)
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False
