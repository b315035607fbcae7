"""results/provenance.json: releases from the lock file, software, config, document digest."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import pytest
from report_fixtures import LOCK, make_results

from mirlens.cli import main
from mirlens.errors import MirlensError
from mirlens.io import read_tsv, write_tsv
from mirlens.provenance import build_provenance, document_digest


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    return make_results(tmp_path / "results")


def _run(results: Path, out: Path) -> dict:
    stats = sorted(str(p) for p in (results / "targets").glob("*.stats.json"))
    rc = main(
        [
            "provenance",
            "--lock",
            str(results.parent / "results.lock.json"),
            "--config",
            str(results / "config.json"),
            "--documents",
            str(results / "literature" / "documents.tsv"),
            "--stats",
            *stats,
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_provenance_contents(results: Path, tmp_path: Path) -> None:
    prov = _run(results, tmp_path / "provenance.json")
    assert list(prov) == sorted(prov)
    by_url = {s["url"]: s for s in prov["sources"]}
    assert set(by_url) == set(LOCK["sources"])
    for url, entry in LOCK["sources"].items():
        for key, value in entry.items():  # every lock field kept, extra keys included
            assert by_url[url][key] == value
    assert prov["software"]["pandas"] == metadata.version("pandas")
    assert prov["software"]["jinja2"] == metadata.version("jinja2")
    assert prov["software"]["python"].count(".") == 2
    assert prov["config"] == json.loads((results / "config.json").read_text())
    assert set(prov["target_stats"]) == {"mirtarbase", "targetscan"}
    assert prov["target_stats"]["targetscan"]["rows_read"] == 120
    docs = read_tsv(results / "literature" / "documents.tsv")
    lines = sorted(f"{d}\t{s}" for d, s in zip(docs["doc_id"], docs["sha256"], strict=True))
    assert prov["documents"]["sha256"] == hashlib.sha256("\n".join(lines).encode()).hexdigest()
    assert prov["documents"]["n_skipped"] == (docs["status"] != "ok").sum()


def test_rerun_identical_and_digest_tracks_documents(results: Path, tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    _run(results, first)
    _run(results, tmp_path / "b.json")
    assert first.read_bytes() == (tmp_path / "b.json").read_bytes()
    path = results / "literature" / "documents.tsv"
    before = document_digest(path)["sha256"]
    docs = read_tsv(path)
    write_tsv(docs.iloc[::-1], path)  # row order does not matter
    assert document_digest(path)["sha256"] == before
    docs.loc[0, "sha256"] = "0" * 64  # a changed document does
    write_tsv(docs, path)
    assert document_digest(path)["sha256"] != before


def test_bad_inputs_are_clear_errors(results: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.lock.json"
    bad.write_text("{not json")
    with pytest.raises(MirlensError, match="not valid JSON"):
        build_provenance(bad, None, None)
    bad.write_text(json.dumps({"sources": []}))
    with pytest.raises(MirlensError, match="'sources' object"):
        build_provenance(bad, None, None)
    with pytest.raises(MirlensError, match="not found"):
        build_provenance(tmp_path / "missing.json", None, None)
    # without a lock (nothing downloaded yet) the file is still written
    prov = build_provenance(None, None, results / "literature" / "documents.tsv")
    assert prov["sources"] == [] and prov["documents"]["n_documents"] == 4


def test_only_this_runs_sources_are_listed(results: Path, tmp_path: Path) -> None:
    """A resources/ folder shared by runs locks every run's files; provenance lists the
    files of this run's config only."""
    import yaml

    from mirlens.config import downloads

    repo = Path(__file__).resolve().parents[1]
    cfg = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    del cfg["enrichment"]["libraries"]["go_bp"]
    mine = {d.url for d in downloads(cfg).values()}
    other = "https://example.org/another-run/library.gmt"
    lock = {"sources": {u: {"sha256": "0" * 64, "size": 1} for u in [*mine, other]}}
    (tmp_path / "lock.json").write_text(json.dumps(lock))
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    prov = build_provenance(tmp_path / "lock.json", tmp_path / "config.json", None)
    assert {s["url"] for s in prov["sources"]} == mine
