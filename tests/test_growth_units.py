"""Growth building blocks: shard assignment, shard names, the listing digest, and per-shard
summaries that merge to what one pass over all mentions gives."""

from __future__ import annotations

import os

import pandas as pd

from mirlens.literature.readers import list_files
from mirlens.literature.shards import listing_digest, shard_label, shard_labels, shard_of
from mirlens.mirnas import (
    merge_mirna_summaries,
    mirna_summary,
    unresolved_summary,
    unresolved_table,
)

IDS = [f"PMID{i}" for i in range(20_000)]


def test_one_more_shard_moves_about_one_in_n_and_only_into_the_new_shard():
    for n in (16, 100, 2047):
        before = [shard_of(d, n) for d in IDS]
        after = [shard_of(d, n + 1) for d in IDS]
        moved = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert all(b == n for _a, b in moved)
        assert abs(len(moved) / len(IDS) - 1 / (n + 1)) < 3 / (n + 1) ** 0.5 / 100 + 0.01
        assert set(before) == set(range(n))


def test_shard_names_share_one_width_above_1000_shards():
    assert shard_labels(1000)[-1] == "999" and shard_labels(1001)[0] == "0000"
    assert shard_labels(2048)[-1] == "2047" == shard_label(2047, 2048)
    assert len({len(label) for label in shard_labels(4096)}) == 1


def test_listing_digest_follows_names_sizes_and_times_and_survives_odd_entries(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("miR-21")
    os.symlink("loop", docs / "loop")
    os.symlink("nowhere", docs / "dangling.txt")
    with open(os.fsencode(docs) + b"/bad-\xff.txt", "wb") as fh:
        fh.write(b"miR-22")
    first = listing_digest([str(docs)], list_files)
    assert listing_digest([str(docs)], list_files) == first
    (docs / "b.txt").write_text("miR-23")
    second = listing_digest([str(docs)], list_files)
    assert second != first
    os.utime(docs / "b.txt", ns=(1, 1))
    assert listing_digest([str(docs)], list_files) != second


def _records() -> list[dict]:
    rows = []
    for i in range(60):
        doc = f"d{i:02d}"
        rows.append({"doc_id": doc, "start": 0, "end": 6, "status": "resolved", "kind": "mature",
                     "species": "hsa", "mirbase_ids": ["MIMAT0000076"][: 1 + i % 2]})  # fmt: skip
        rows.append({"doc_id": doc, "start": 10, "end": 16, "status": "resolved",
                     "kind": ["family", "cluster", "mature"][i % 3], "species": "hsa",
                     "mirbase_ids": ["MIMAT0000062", f"MIMAT00000{70 + i % 5}"]})  # fmt: skip
        if i % 4 == 0:
            rows.append({"doc_id": doc, "start": 20 + i, "end": 28 + i,
                         "status": ["unresolved", "ambiguous"][i % 8 == 0],
                         "normalised": f"hsa-miR-{9000 + i % 3}", "reason": "r",
                         "sentence": f"sentence of {doc}"})  # fmt: skip
    return rows


def test_per_shard_summaries_merge_to_the_whole():
    rows = _records()
    whole_mirnas = merge_mirna_summaries([mirna_summary(rows)])
    whole_unresolved = unresolved_table([unresolved_summary(rows)])
    parts = [[r for r in rows if shard_of(r["doc_id"], 5) == s] for s in range(5)]
    merged_mirnas = merge_mirna_summaries([mirna_summary(p) for p in parts])
    merged_unresolved = unresolved_table([unresolved_summary(p) for p in parts])
    pd.testing.assert_frame_equal(merged_mirnas, whole_mirnas)
    pd.testing.assert_frame_equal(merged_unresolved, whole_unresolved)
    assert merged_unresolved["n_documents"].sum() == 15
    first = merged_unresolved.set_index(["text", "status"]).loc[("hsa-miR-9000", "ambiguous")]
    assert (first["example_doc_id"], first["n_documents"]) == ("d00", 3)
    row = merged_mirnas.set_index("mirbase_id").loc["MIMAT0000062"]
    assert (row["n_direct"], row["n_family"], row["n_cluster"]) == (20, 20, 20)
    assert row["documents"] == [f"d{i:02d}" for i in range(60)]
