"""Download faults from a real loopback server: each recovers by retry or fails in ONE line.

The fault server (tests/fault_server.py) serves the mirror's real files damaged on purpose:
5xx with and without Retry-After, resets and truncations mid-body, a Content-Length
shorter than the file, no Content-Length, HTML or an error text with status 200, corrupt
gzip / zip / FASTA / CSV / GMT / .dat, a slow drip. Nothing damaged may reach the file or
the lock; once the fault is gone the same call completes with the release's sha256.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fault_server import FaultServer

from mirlens.download import fetch, url_relpath
from mirlens.errors import MirlensError
from mirlens.http import Policy
from mirlens.io import sha256_file
from mirlens.lockfile import read_lock

MB = "https://mirbase.org/download_version_files/22.1/"
FILES = {
    "mature": MB + "mature.fa",
    "aliases": MB + "aliases.txt",
    "families": MB + "miFam.dat",
    "gff3": MB + "genomes/hsa.gff3",
    "gmt": "https://data.broadinstitute.org/gsea-msigdb/msigdb/release/7.0/h.all.v7.0.symbols.gmt",
    "enrichr": "https://maayanlab.cloud/Enrichr/geneSetLibrary?mode=text&libraryName=MSigDB_Hallmark_2020",
    "csv": "https://mirtarbase.cuhk.edu.cn/~miRTarBase/miRTarBase_2025/cache/download/10.0/hsa_MTI.csv",
    "xlsx": "https://mirtarbase.cuhk.edu.cn/~miRTarBase/miRTarBase_2025/cache/download/10.0/hsa_MTI.xlsx",
    "zip": "https://www.targetscan.org/vert_80/vert_80_data_download/miR_Family_Info.txt.zip",
    "gz": "https://ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz",
    "mane": "https://ftp.ncbi.nlm.nih.gov/refseq/MANE/MANE_human/release_1.0/MANE.GRCh38.v1.0.summary.txt.gz",
}
FAST = Policy(attempts=3, backoff=0.05, max_retry_after=0.3, deadline=30, progress_every=0.2)


def manifest(mirror_dir: Path) -> dict[str, str]:
    rows = (mirror_dir / "MANIFEST.tsv").read_text().splitlines()[1:]
    return {c[1]: c[2] for c in (r.split("\t") for r in rows)}


@pytest.fixture()
def faults(mirror_dir):
    with FaultServer(mirror_dir) as server:
        yield server


def _fetch(server, fault, url, tmp_path, policy=FAST, **kw):
    dest = tmp_path / "db" / url_relpath(url)
    return dest, fetch(
        url,
        dest,
        mirror=f"{server.url}/{fault}",
        lock_path=tmp_path / "lock.json",
        policy=policy,
        **kw,
    )


def _assert_clean_failure(exc: MirlensError, url: str, tmp_path: Path, *words: str) -> None:
    text = str(exc)
    assert "\n" not in text, text  # one line, never a chain of tracebacks
    assert url in text or url_relpath(url).split("/")[-1] in text, text
    for w in words:
        assert w.lower() in text.lower(), text
    left = (
        [p for p in (tmp_path / "db").rglob("*") if p.is_file()]
        if (tmp_path / "db").exists()
        else []
    )
    assert left == []  # neither the file nor a hidden .part
    lock = tmp_path / "lock.json"
    assert not lock.exists() or read_lock(lock)["sources"] == {}


# (fault, file) -> words the one-line message must contain
REFUSED = [
    ("short_length", "mature", "middle of a line"),
    ("no_length", "mature", "middle of a line"),
    ("no_length", "csv", "broken csv|fields|middle of a line"),
    ("short_length", "aliases", "middle of a line"),
    ("no_length", "families", "'//'"),
    ("html", "mature", "html"),
    ("html", "enrichr", "html"),
    ("text_error", "mature", "fasta header"),
    ("text_error", "gmt", "gene-set line"),
    ("text_error", "gz", "gzip"),
    ("text_error", "csv", "no records|header"),
    ("text_error", "aliases", "accession"),
    ("corrupt", "gz", "gzip|columns"),
    ("corrupt", "mane", "gzip|columns"),
    ("corrupt", "zip", "zip"),
    ("corrupt", "xlsx", "zip"),
    ("corrupt", "mature", "sequence"),
    ("corrupt", "csv", "fields"),
    ("corrupt", "gmt", "gene-set line"),
    ("corrupt", "enrichr", "gene-set line"),
    ("corrupt", "families", "'//'"),
    ("corrupt", "gff3", "9 tab-separated"),
]


@pytest.mark.parametrize(
    ("fault", "key", "words"), REFUSED, ids=[f"{f}-{k}" for f, k, _ in REFUSED]
)
def test_damaged_file_is_refused_then_the_real_one_is_taken(
    faults, mirror_dir, tmp_path, fault, key, words
):
    url = FILES[key]
    with pytest.raises(MirlensError) as err:
        _fetch(faults, fault, url, tmp_path)
    _assert_clean_failure(err.value, url, tmp_path, "nothing was saved")
    assert any(w in str(err.value).lower() for w in words.split("|")), str(err.value)
    # the fault is gone: the next call completes with the release's checksum
    dest, res = _fetch(faults, "ok", url, tmp_path)
    assert res.sha256 == manifest(mirror_dir)[url] == sha256_file(dest)
    assert read_lock(tmp_path / "lock.json")["sources"][url]["sha256"] == res.sha256


TRANSIENT = [("e500", 2), ("e503", 1), ("reset", 1), ("truncated", 2)]


@pytest.mark.parametrize(("fault", "times"), TRANSIENT, ids=[f for f, _ in TRANSIENT])
def test_transient_faults_recover_by_retry(mirror_dir, tmp_path, fault, times, caplog):
    policy = Policy(attempts=3, backoff=0.05, max_retry_after=2, deadline=30)
    url = FILES["mature"]
    with FaultServer(mirror_dir, times={fault: times}) as server, caplog.at_level("INFO"):
        dest, res = _fetch(server, fault, url, tmp_path, policy=policy)
        assert server.hits[f"/{fault}/{url_relpath(url)}"] == times + 1
    assert res.sha256 == manifest(mirror_dir)[url]
    assert "attempt 1 of 3 failed" in caplog.text
    if fault == "e503":
        assert "waiting 1 s as the server asked (Retry-After)" in caplog.text
    assert [p.name for p in dest.parent.iterdir()] == ["mature.fa"]


PERSISTENT = [
    ("e500", "HTTP 500"),
    ("reset", "connection broken"),
    ("truncated", "cut short|connection broken"),
    ("drip", "deadline"),
]


@pytest.mark.parametrize(("fault", "words"), PERSISTENT, ids=[f for f, _ in PERSISTENT])
def test_persistent_faults_fail_in_one_line(faults, tmp_path, fault, words):
    url = FILES["mature"]
    policy = Policy(attempts=2, backoff=0.05, deadline=2.0 if fault == "drip" else 30)
    with pytest.raises(MirlensError) as err:
        _fetch(faults, fault, url, tmp_path, policy=policy)
    _assert_clean_failure(err.value, url, tmp_path, "mirror:")
    assert any(w.lower() in str(err.value).lower() for w in words.split("|")), str(err.value)


def test_retry_after_is_capped_and_the_log_says_so(faults, tmp_path, caplog):
    url = FILES["gmt"]
    policy = Policy(attempts=2, backoff=0.05, max_retry_after=0.2, deadline=30)
    with caplog.at_level("INFO"), pytest.raises(MirlensError) as err:
        _fetch(faults, "e503long", url, tmp_path, policy=policy)
    assert "server asked to wait 3600 s (Retry-After); waiting the cap of 0 s" in caplog.text
    _assert_clean_failure(err.value, url, tmp_path, "HTTP 503", "2 attempt")


def test_slow_drip_logs_progress_in_bytes(faults, tmp_path, caplog):
    url = FILES["gmt"]  # 48 KB at 64 bytes / 10 ms: ~8 s, so the deadline cuts it
    faults.drip_delay = 0.01
    policy = Policy(attempts=1, deadline=1.5, progress_every=0.3)
    with caplog.at_level("INFO"), pytest.raises(MirlensError, match="deadline"):
        _fetch(faults, "drip", url, tmp_path, policy=policy)
    progress = [r.message for r in caplog.records if " bytes of 48334 (" in r.message]
    assert len(progress) >= 2, caplog.text


def test_missing_file_and_unresolvable_host_say_what_to_do(faults, tmp_path):
    url = "https://mirbase.org/download_version_files/22.1/nope.fa"
    with pytest.raises(MirlensError) as err:
        _fetch(faults, "ok", url, tmp_path)
    _assert_clean_failure(err.value, url, tmp_path, "HTTP 404", "check its URL")
    url = "http://mirlens-no-such-host.invalid/mature.fa"
    with pytest.raises(MirlensError) as err:
        fetch(url, tmp_path / "db" / "mature.fa", policy=FAST)
    _assert_clean_failure(err.value, url, tmp_path, "cannot resolve host", "mirror:")


def test_cli_failure_is_one_line_without_traceback(faults, tmp_path):
    from conftest import REPO

    url = FILES["csv"]
    env = {
        "PYTHONPATH": str(REPO / "workflow"),
        "MIRLENS_MIRROR": f"{faults.url}/no_length",
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mirlens",
            "fetch",
            "--url",
            url,
            "--out",
            str(tmp_path / "x.csv"),
            "--lock",
            str(tmp_path / "lock.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert url in errors[0] and "nothing was saved" in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_stale_part_of_a_killed_download_is_removed(faults, mirror_dir, tmp_path):
    url = FILES["gmt"]
    dest = tmp_path / "db" / url_relpath(url)
    dest.parent.mkdir(parents=True)
    stale = dest.parent / f".{dest.name}.abc123.part"  # what kill -9 leaves behind
    stale.write_bytes(b"half a file")
    _fetch(faults, "ok", url, tmp_path)
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]


def test_lock_file_is_group_readable(faults, tmp_path):
    _fetch(faults, "ok", FILES["gmt"], tmp_path)
    assert (tmp_path / "lock.json").stat().st_mode & 0o777 == 0o644
    entry = json.loads((tmp_path / "lock.json").read_text())["sources"][FILES["gmt"]]
    assert entry["size"] == 48334 and entry["mtime_ns"] > 0


def test_file_changed_on_disk_is_detected_through_the_lock(faults, mirror_dir, tmp_path):
    from mirlens.lockfile import check_downloads

    url = FILES["gmt"]
    dest, first = _fetch(faults, "ok", url, tmp_path)
    lock = tmp_path / "lock.json"
    assert check_downloads(lock, [str(dest)]) == []
    dest.write_text(dest.read_text().replace("HALLMARK_HYPOXIA", "HALLMARK_HYPOXIC"))
    changed = check_downloads(lock, [str(dest)])
    assert [c.url for c in changed] == [url] and changed[0].locked == first.sha256
    # fetch repairs it from the source, verified against the lock's sha256
    _, again = _fetch(faults, "ok", url, tmp_path)
    assert again.sha256 == first.sha256 == sha256_file(dest)
    assert check_downloads(lock, [str(dest)]) == []
