"""Downloads: mirror rewriting, atomic writes, content checks and the lock file.

Uses the real loopback mirror over ../shared/mirror plus a small misbehaving loopback
server (HTML instead of data, connections cut short, corrupt gzip).
"""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mirlens.download import fetch, read_lock, rewrite_url, url_relpath
from mirlens.errors import MirlensError
from mirlens.http import Policy
from mirlens.io import sha256_file

MATURE = "https://mirbase.org/download_version_files/22.1/mature.fa"
ENRICHR = (
    "https://maayanlab.cloud/Enrichr/geneSetLibrary?mode=text&libraryName=MSigDB_Hallmark_2020"
)


def manifest_sha(mirror_dir: Path, url: str) -> str:
    for line in (mirror_dir / "MANIFEST.tsv").read_text().splitlines()[1:]:
        cols = line.split("\t")
        if cols[1] == url:
            return cols[2]
    raise KeyError(url)


def test_url_relpath_follows_the_mirror_layout():
    assert url_relpath(MATURE) == "mirbase.org/download_version_files/22.1/mature.fa"
    assert url_relpath(ENRICHR) == (
        "maayanlab.cloud/Enrichr/geneSetLibrary__mode=text&libraryName=MSigDB_Hallmark_2020"
    )
    with pytest.raises(MirlensError):
        url_relpath("https://example.org/dir/")


def test_rewrite_url_for_url_and_folder_mirrors(tmp_path):
    assert rewrite_url(MATURE, None) == MATURE
    assert rewrite_url(MATURE, "http://127.0.0.1:9/m/") == (
        "http://127.0.0.1:9/m/mirbase.org/download_version_files/22.1/mature.fa"
    )
    assert rewrite_url(MATURE, str(tmp_path)) == str(
        tmp_path / "mirbase.org/download_version_files/22.1/mature.fa"
    )


def test_fetch_from_loopback_mirror_records_lock(tmp_path, mirror_url, mirror_dir):
    lock = tmp_path / "sources.lock.json"
    dest = tmp_path / "db" / url_relpath(MATURE)
    res = fetch(MATURE, dest, mirror=mirror_url, lock_path=lock, key="mirbase", release="22.1")
    assert dest.read_text().startswith(">cel-let-7-5p MIMAT0000001")
    assert res.sha256 == manifest_sha(mirror_dir, MATURE) == sha256_file(dest)
    entry = read_lock(lock)["sources"][MATURE]
    assert entry["size"] == dest.stat().st_size == 3866196
    assert entry["release"] == "22.1" and entry["key"] == "mirbase"
    assert entry["fetched_from"].startswith(mirror_url)
    assert not list(dest.parent.glob("*.part"))


def test_enrichr_query_url_through_the_mirror(tmp_path, mirror_url):
    dest = tmp_path / url_relpath(ENRICHR)
    fetch(ENRICHR, dest, mirror=mirror_url)
    first = dest.read_text().splitlines()[0].split("\t")
    assert first[0] == "TNF-alpha Signaling via NF-kB" and first[1] == ""


def test_rerun_verifies_against_lock_and_repairs_a_changed_file(tmp_path, mirror_url):
    lock = tmp_path / "lock.json"
    dest = tmp_path / "mature.fa"
    first = fetch(MATURE, dest, mirror=mirror_url, lock_path=lock)
    dest.write_text(">tampered\nACGU\n")
    again = fetch(MATURE, dest, mirror=mirror_url, lock_path=lock)
    assert again.sha256 == first.sha256 == sha256_file(dest)


def test_pinned_sha256_mismatch_leaves_nothing(tmp_path, mirror_url):
    dest = tmp_path / "mature.fa"
    with pytest.raises(MirlensError, match="is not the expected"):
        fetch(MATURE, dest, mirror=mirror_url, sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_local_folder_mirror(tmp_path, mirror_dir):
    dest = tmp_path / "x" / "mature.fa"
    res = fetch(MATURE, dest, mirror=str(mirror_dir))
    assert res.size == 3866196


# ---------------------------------------------------------------- a misbehaving server


class _Bad(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path.endswith("html/mature.fa"):
            body = b"<!DOCTYPE html><html><body>Page moved</body></html>"
            self._send(body, len(body))
        elif self.path.endswith("cut/mature.fa"):
            self._send(b">hsa-miR-21-5p MIMAT0000076\nUAGCUU", 100_000)  # then hang up
        elif self.path.endswith("bad.txt.gz"):
            data = gzip.compress(b"gene\tscore\n" * 1000)
            self._send(data[: len(data) // 2], len(data) // 2)
        else:
            self.send_error(404)

    def _send(self, body: bytes, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture()
def bad_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Bad)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("html/mature.fa", "HTML/XML page instead of the data file"),
        ("cut/mature.fa", "cut short|IncompleteRead|Connection broken|ChunkedEncodingError"),
        ("bad.txt.gz", "not a complete gzip file"),
    ],
)
def test_bad_downloads_leave_no_file_behind(tmp_path, bad_server, path, message):
    lock = tmp_path / "lock.json"
    dest = tmp_path / "out" / Path(path).name
    with pytest.raises(Exception, match=message):
        fetch(f"{bad_server}/{path}", dest, lock_path=lock, policy=Policy(attempts=1))
    assert not dest.exists()
    assert list((tmp_path / "out").iterdir()) == []
    assert not lock.exists() or json.loads(lock.read_text())["sources"] == {}


def test_prefetch_writes_a_mirror_the_workflow_can_use(tmp_path, mirror_url):
    from conftest import REPO

    from mirlens.cli import main

    out = tmp_path / "mirror"
    config = str(REPO / "config" / "config.yaml")
    assert main(["prefetch", "--config", config, "--out", str(out), "--mirror", mirror_url]) == 0
    lock = read_lock(out / "sources.lock.json")["sources"]
    assert len(lock) == 14 and MATURE in lock
    assert all((out / url_relpath(url)).is_file() for url in lock)
    # the folder now serves as a mirror in its own right
    again = fetch(MATURE, tmp_path / "copy.fa", mirror=str(out))
    assert again.sha256 == lock[MATURE]["sha256"]
