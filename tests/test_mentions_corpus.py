"""Mention quality on the curated SCAI corpus and the `mirlens extract` command end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import shared_path
from mention_scoring import gold_in_release, load_gold, release_for, score_spans, spans_of

from mirlens.cli import main
from mirlens.text import Normaliser, extract_documents


@pytest.fixture(scope="module")
def scai():
    return load_gold(shared_path("data/corpora/scai_mirna.train.jsonl"))


def test_scai_train_overlap_precision_and_recall(scai, mirbase_dir):
    texts, gold = scai
    norm = Normaliser(release_for(mirbase_dir), "hsa", "both")
    records = list(extract_documents(texts.items(), norm))
    score = score_spans(gold, spans_of(records))
    assert score.gold == 529
    assert score.recall >= 0.98, score
    assert score.precision >= 0.98, score


def test_scorer_counts_overlaps():
    gold = {"a": [(0, 5), (10, 20)], "b": [(3, 4)]}
    pred = {"a": [(4, 6), (30, 31)], "c": [(0, 1)]}
    s = score_spans(gold, pred)
    assert (s.gold, s.found, s.predicted, s.correct) == (3, 1, 3, 1)


def test_extract_cli_jsonl_sorted_records(tmp_path, mirbase_dir):
    src = tmp_path / "docs.jsonl"
    docs = [
        {"doc_id": "b", "text": "MIR155HG hosts mir-155. The let-7 family and miR-21* matter."},
        {"doc_id": "a", "text": "miR-200a/b/c and miR-17\u223c92 are high."},
    ]
    src.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    out = tmp_path / "m.jsonl"
    argv = ["extract", str(src), "--out", str(out), "--mirbase", str(mirbase_dir)]
    assert main(argv) == 0
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    keys = [(r["doc_id"], r["start"], r["end"]) for r in recs]
    assert keys == sorted(keys)
    assert [r["text"] for r in recs] == [
        "miR-200a", "b", "c", "miR-17\u223c92", "MIR155HG", "mir-155", "let-7", "miR-21*",
    ]  # fmt: skip
    text = {d["doc_id"]: d["text"] for d in docs}
    assert all(text[r["doc_id"]][r["start"] : r["end"]] == r["text"] for r in recs)
    assert {r["kind"] for r in recs} >= {"cluster", "family", "host_gene", "precursor"}
    first = out.read_bytes()
    assert main(argv) == 0 and out.read_bytes() == first  # deterministic


def test_extract_cli_rejects_missing_mirbase(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text('{"doc_id": "x", "text": "miR-21"}\n', encoding="utf-8")
    argv = ["extract", str(src), "--out", str(tmp_path / "o"), "--mirbase", str(tmp_path / "no")]
    assert main(argv) == 1


def test_document_level_normalisation_mircancer(tmp_path, mirbase_dir):
    """Run the shared document-level scorer as a subprocess, on the curated labels as given
    and on the same labels renamed to miRBase 22 through miRBase's own name history."""
    gold = shared_path("data/corpora/mircancer_nonlung.titles.jsonl")
    scorer = shared_path("data/corpora/score_normalisation.py")
    out = tmp_path / "pred.jsonl"
    assert main(["extract", str(gold), "--out", str(out), "--mirbase", str(mirbase_dir)]) == 0

    def score(gold_file):
        res = subprocess.run(
            [sys.executable, str(scorer), str(gold_file), str(out)], capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout.strip().splitlines()[-1])

    as_given = score(gold)
    assert as_given["docs"] > 6000
    assert as_given["grounded_recall"] >= 0.937  # naive regex baseline (corpora README)
    gold22 = tmp_path / "gold22.jsonl"
    n, renamed = gold_in_release(gold, gold22, release_for(mirbase_dir))
    assert 0 < renamed < n
    in_22 = score(gold22)
    # naive baseline on the labels as given: F1 0.895, f1_grounded 0.956
    assert in_22["f1"] >= 0.895 and in_22["f1_grounded"] >= 0.956, in_22
