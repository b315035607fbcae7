"""`mirlens extract-shard`: a shard's mentions and summaries, then the same from the cache."""

from __future__ import annotations

import json
import logging

import pyarrow.parquet as pq

from mirlens.cli import main
from mirlens.report.quotes import read_quotes
from mirlens.theme_context import context_document

DOCS = [
    ("d1", "miR-21 promotes epithelial-mesenchymal transition in lung cancer cells."),
    ("d2", "Serum miR-155 was raised; SNAI2 and miR-155 were co-expressed."),
    ("d3", "No microRNA is named here."),
]
THEMES = {"EMT": {"lib": ["S_EMT"], "vocabulary": ["epithelial-mesenchymal"]}}
OUTPUTS = ("out", "mirnas-out", "unresolved-out", "context-out", "quotes-out")


def _argv(tmp_path, mirbase_dir) -> list[str]:
    shard = tmp_path / "shard.jsonl"
    lines = [json.dumps({"doc_id": d, "text": t, "piece": "abc-0000"}) for d, t in DOCS]
    shard.write_text("\n".join(lines) + "\n", encoding="utf-8")
    context = tmp_path / "theme_context.json"
    context.write_text(json.dumps(context_document(THEMES, {"lib": {"S_EMT": ["SNAI2"]}})))
    argv = ["extract-shard", str(shard), "--cache-dir", str(tmp_path / "cache")]
    argv += ["--mirbase", str(mirbase_dir), "--arm-policy", "dominant", "--themes", str(context)]
    return argv + [x for o in OUTPUTS for x in (f"--{o}", str(tmp_path / f"{o}.parquet"))]


def test_extract_shard_writes_mentions_and_summaries_then_reuses_its_cache(
    tmp_path, mirbase_dir, caplog
):
    argv = _argv(tmp_path, mirbase_dir)
    assert main(argv) == 0
    mentions = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert {(m["doc_id"], m["mirbase_ids"]) for m in mentions} >= {("d1", "MIMAT0000076")}
    by_doc = {m["doc_id"]: m["themes"] for m in mentions}
    assert by_doc["d1"] == "EMT" and by_doc["d2"] == "EMT"  # vocabulary; context gene SNAI2
    context = pq.read_table(tmp_path / "context-out.parquet").to_pylist()
    assert {(c["mirbase_id"], c["theme"], c["doc_id"]) for c in context} >= {
        ("MIMAT0000076", "EMT", "d1")
    }
    assert all(c["n_sentences"] >= 1 for c in context)
    quotes = read_quotes([tmp_path / "quotes-out.parquet"])
    assert "hsa-miR-21" in quotes.groups and "d1" in quotes.groups["hsa-miR-21"]["docs"]
    assert sum(quotes.status.values()) == len(mentions) and "d3" not in quotes.named
    first = {o: (tmp_path / f"{o}.parquet").read_bytes() for o in OUTPUTS}
    with caplog.at_level(logging.INFO, logger="mirlens.shard_extract"):
        assert main(argv) == 0
    assert "3 documents, 0 extracted, 3 from the cache" in caplog.text
    assert {o: (tmp_path / f"{o}.parquet").read_bytes() for o in OUTPUTS} == first
