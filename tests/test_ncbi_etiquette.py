"""NCBI etiquette, measured on the server's side: <= 3 requests in any second without an API
key, <= 10 with one, while two `mirlens pubmed` jobs run at once (as Snakemake runs them,
sharing resources/cache/pubmed) and the server answers some requests with 503 (retries
count too). The key is sent, but never appears in logs, outputs, caches or errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO, shared_path
from literature_server import LiteratureServer

from mirlens.io import read_jsonl

SECRET = "ncbi-key-0123456789abcdef"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    path = shared_path("data/literature/miretrieve_panc.abstracts.jsonl")
    return [
        {"pmid": r["pmid"], "title": r["title"], "abstract": r["abstract"], "year": int(r["year"])}
        for r in read_jsonl(path)
    ]


def _env(key: str | None) -> dict[str, str]:
    env = {"PYTHONPATH": str(REPO / "workflow"), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if key:
        env["NCBI_API_KEY"] = key
    return env


def _pubmed(base: str, years: str, work: Path, key: str | None) -> subprocess.Popen:
    first, last = years.split("-")
    args = ["--query", "all", "--mindate", first, "--maxdate", last, "--email", "e@example.org"]
    args += ["--tool", "mirlens-tests", f"--base-url={base}", "--batch-size", "4"]
    args += ["--max-records", "0", "--cache-dir", str(work / "cache"), "--out"]
    args += [str(work / f"{years}.jsonl")]
    return subprocess.Popen(
        [sys.executable, "-m", "mirlens", "-v", "pubmed", *args],
        env=_env(key),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _max_per_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u - t < 1.0) for i, t in enumerate(times))


def _run_two_jobs(records, tmp_path, key):
    with LiteratureServer(records) as server:
        stop = threading.Event()

        def flaky() -> None:  # three 503s, spread out: their retries must wait their turn too
            # keyed to the traffic, not the clock, so a fast or a loaded machine sees all three
            for after in (3, 8, 13):
                while len(server.requests) < after:
                    if stop.wait(0.01):
                        return
                server.fail_next = 1

        threading.Thread(target=flaky, daemon=True).start()
        jobs = [
            _pubmed(f"{server.url}/eutils", y, tmp_path, key) for y in ("2010-2011", "2012-2013")
        ]
        logs = [job.communicate(timeout=300)[0] for job in jobs]
        stop.set()
    assert [job.returncode for job in jobs] == [0, 0], logs
    return server, logs


@pytest.mark.parametrize(("key", "limit"), [(None, 3), (SECRET, 10)], ids=["no-key", "key"])
def test_requests_per_second_under_concurrent_jobs(records, tmp_path, key, limit):
    server, logs = _run_two_jobs(records, tmp_path, key)
    times = [r.time for r in server.requests]
    assert len(times) >= 2 * limit + 4  # enough traffic to measure
    retried = sum(1 for line in server.access_log if '" 503 ' in line)
    assert retried >= 1  # some answers were 503 and were retried
    assert _max_per_second(times) <= limit
    if key:
        assert all(r.params.get("api_key") == key for r in server.requests)
        _assert_never_shown(key, logs, tmp_path, server)


def _assert_never_shown(key: str, logs: list[str], tmp_path: Path, server) -> None:
    assert not any(key in log for log in logs)
    assert not any(key in line for line in server.access_log)
    assert not any(key in r.request_line for r in server.requests)  # POST body, not URL
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert key not in path.read_text(encoding="utf-8", errors="replace"), path


class _EchoKey(BaseHTTPRequestHandler):
    """Answers like NCBI does to a bad key: an error that quotes the request's api_key."""

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        key = dict(kv.split("=", 1) for kv in body.split("&")).get("api_key", "")
        reply = json.dumps({"error": "API key invalid", "api-key": key}).encode()
        self.send_response(400)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def test_key_is_not_repeated_in_errors(tmp_path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EchoKey)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        job = _pubmed(f"http://127.0.0.1:{httpd.server_address[1]}", "2010-2011", tmp_path, SECRET)
        out = job.communicate(timeout=120)[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert job.returncode == 1
    assert "HTTP 400" in out and "API key invalid" in out
    assert SECRET not in out and "Traceback" not in out
