"""Growth building blocks: the shard plan, the listing digest, and per-shard
summaries that merge to what one pass over all mentions gives."""

from __future__ import annotations

import os
import random
import re

import pandas as pd

from mirlens.literature.readers import list_files
from mirlens.literature.shards import LABEL_PATTERN, listing_digest, plan_shards
from mirlens.mirnas import (
    merge_mirna_summaries,
    mirna_summary,
    unresolved_summary,
    unresolved_table,
)


def _files(sizes: list[int], prefix: str = "f") -> list[tuple[str, int]]:
    return [(f"docs/{prefix}{i:05d}.jsonl", n) for i, n in enumerate(sizes)]


def _members(shards) -> dict[str, list[tuple[str, int, int]]]:
    return {s.label: [(p.path, p.start, p.end) for p in s.pieces] for s in shards}


def test_a_big_file_is_cut_by_position_and_appending_touches_only_its_tail():
    before = _members(plan_shards([("docs/big.jsonl", 2500)], 1000))
    after = _members(plan_shards([("docs/big.jsonl", 3100)], 1000))
    assert [v for v in before.values()] == [[("docs/big.jsonl", a, b)] for a, b in
                                            [(0, 1000), (1000, 2000), (2000, 2500)]]  # fmt: skip
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert len(changed) == 2 and all(re.fullmatch(LABEL_PATTERN, k) for k in changed)
    assert sorted(changed)[0].endswith("-0002") and sorted(changed)[1].endswith("-0003")


def test_small_files_group_to_about_shard_docs_and_a_new_file_touches_one_group():
    rng = random.Random(7)
    sizes = [rng.choice([1, 1, 1, 5, 40]) for _ in range(4000)]
    files = _files(sizes)
    shards = plan_shards(files, 200)
    n_docs = [s.n_docs for s in shards]
    assert sum(n_docs) == sum(sizes) and max(n_docs) <= 2 * 200
    assert 120 <= sum(n_docs) / len(shards) <= 260
    assert len({s.label for s in shards}) == len(shards)
    touched = []
    for _ in range(50):  # a new file anywhere in the reading order
        at = rng.randrange(len(files))
        grown = files[:at] + [(f"docs/f{at - 1:05d}b.jsonl", rng.choice([1, 5]))] + files[at:]
        a, b = _members(shards), _members(plan_shards(grown, 200))
        touched.append(sum(a.get(k) != b.get(k) for k in a.keys() | b.keys()))
    assert sum(touched) / len(touched) <= 2.5 and min(touched) >= 1


def test_plan_follows_only_the_inputs():
    files = _files([3, 700, 2, 2, 1500, 9])
    assert _members(plan_shards(files, 500)) == _members(plan_shards(list(files), 500))
    assert {p.path for s in plan_shards(files, 500) for p in s.pieces} == {f for f, _ in files}


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
    parts = [[r for r in rows if int(r["doc_id"][1:]) % 5 == s] for s in range(5)]
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
    assert merged_mirnas.set_index("mirbase_id").loc["MIMAT0000076", "documents"] == [
        f"d{i:02d}" for i in range(60)
    ]
    none = merge_mirna_summaries([])
    assert none.empty and "documents" in none.columns
