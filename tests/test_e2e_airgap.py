"""Air-gapped route, as README "Offline, air-gapped clusters" describes it: `mirlens prefetch`
where the network is, then a run from the copied folder with no server at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from conftest import shared_path
from workflow_runs import REPO, hallmark_only, read, snakemake, write_config

pytestmark = pytest.mark.e2e


def _serve(mirror_dir):
    proc = subprocess.Popen(
        [sys.executable, str(mirror_dir / "serve.py"), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if "http://127.0.0.1:" not in line:
        proc.terminate()
        pytest.fail(f"mirror server did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip().rstrip("/")


def _prefetch(config, out, mirror):
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    cmd = [sys.executable, "-m", "mirlens", "prefetch", "--config", str(config)]
    return subprocess.run(
        [*cmd, "--out", str(out), "--mirror", mirror],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_prefetch_then_run_with_the_server_stopped(tmp_path, mirror_dir):
    seeds = str(shared_path("seeds"))
    server, url = _serve(mirror_dir)
    try:
        write_config(tmp_path, "", [seeds])  # as on the networked node: the real URLs
        proc = _prefetch(tmp_path / "config.yaml", tmp_path / "copy", url)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert proc.returncode == 0, proc.stderr[-4000:]
    # Carried to the cluster: a plain folder, and nothing answers at the old address.
    offline = tmp_path / "offline-mirror"
    shutil.copytree(tmp_path / "copy", offline)
    shutil.rmtree(tmp_path / "copy")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)

    # every release is fetched and parsed; one gene-set library keeps the stores short
    write_config(tmp_path, str(offline), [seeds], enrichment=hallmark_only())
    snakemake(tmp_path)

    docs = read(tmp_path / "results/literature/documents.tsv")
    assert set(docs["status"]) == {"ok"}
    assert (tmp_path / "results/report/index.html").is_file()
    # Every database file of the run is the prefetched one, byte for byte.
    sources = json.loads((tmp_path / "resources/sources.lock.json").read_text())["sources"]
    assert len(sources) >= 10
    for url, entry in sources.items():
        fetched = entry["fetched_from"].removeprefix("file://")
        assert fetched.startswith(str(offline)), (url, fetched)
        local = (tmp_path / entry["path"]).read_bytes()
        assert local == open(fetched, "rb").read(), url
        assert hashlib.sha256(local).hexdigest() == entry["sha256"], url
