"""`mirlens mirnas`: merge mention shards into the miRNA tables, FASTA and unresolved list."""

from __future__ import annotations

import json

import pytest
from conftest import shared_path

from mirlens.cli import main
from mirlens.io import read_tsv
from mirlens.mirbase import read_mature

FAMILY_INFO = "mirror/www.targetscan.org/vert_80/vert_80_data_download/miR_Family_Info.txt.zip"
DOCS = [
    {"doc_id": "d2", "text": "miR-21 and miR-21* rise. MIR155HG is a lncRNA. miR-548 falls."},
    {"doc_id": "d1", "text": "The miR-17~92 cluster and hsa-miR-21-5p. miR-9999 is new."},
    {"doc_id": "d3", "text": "No specific microRNA is named here."},
]


def _run(tmp_path, mirbase_dir, docs, family=True):
    tmp_path.mkdir(parents=True, exist_ok=True)
    src = tmp_path / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    shard = tmp_path / "shard.jsonl"
    assert main(["extract", str(src), "--out", str(shard), "--mirbase", str(mirbase_dir)]) == 0
    res = tmp_path / "results"
    argv = [
        "mirnas", "--mentions", str(shard), "--mirbase", str(mirbase_dir),
        "--out-mentions", str(res / "mentions.tsv"), "--out", str(res / "mirnas.tsv"),
        "--fasta", str(res / "sequences" / "mirnas.fa"),
        "--unresolved", str(res / "unresolved.tsv"),
    ]  # fmt: skip
    if family:
        argv += ["--family-info", str(shared_path(FAMILY_INFO))]
    assert main(argv) == 0
    return res


def test_tables(tmp_path, mirbase_dir):
    res = _run(tmp_path, mirbase_dir, DOCS)
    ment = read_tsv(res / "mentions.tsv")
    assert list(ment.columns[:8]) == ["doc_id", "start", "end", "text", "sentence",
                                      "mirbase_ids", "mirbase_names", "status"]  # fmt: skip
    keys = list(
        zip(ment["doc_id"], ment["start"].astype(int), ment["end"].astype(int), strict=True)
    )
    assert keys == sorted(keys)
    assert "MIMAT0000076;MIMAT0004494" in set(ment["mirbase_ids"])

    mir = read_tsv(res / "mirnas.tsv")
    assert list(mir.columns[:8]) == ["mirbase_id", "name", "sequence", "seed", "family",
                                     "n_documents", "n_mentions", "documents"]  # fmt: skip
    assert list(mir["name"]) == sorted(mir["name"])
    row = mir.set_index("name").loc["hsa-miR-21-5p"]
    assert row["mirbase_id"] == "MIMAT0000076"
    assert row["sequence"] == "UAGCUUAUCAGACUGAUGUUGA" and row["seed"] == "AGCUUAU"
    assert (row["n_documents"], row["n_mentions"], row["documents"]) == ("2", "2", "d1;d2")
    assert row["family"] == "miR-21-5p/590-5p" and row["precursors"] == "hsa-mir-21"
    assert mir.set_index("name").loc["hsa-miR-21-3p", "n_mentions"] == "2"
    # cluster members come in through the cluster, counted as such
    assert mir.set_index("name").loc["hsa-miR-92a-3p", "n_cluster"] == "1"
    # ambiguous "miR-548" is not placed in the table
    assert not mir["name"].str.startswith("hsa-miR-548").any()

    mature = read_mature(mirbase_dir / "mature.fa").set_index("mirbase_id")
    fasta = (res / "sequences" / "mirnas.fa").read_text().splitlines()
    assert fasta[0::2] == [f">{n} {a}" for n, a in zip(mir["name"], mir["mirbase_id"], strict=True)]
    assert fasta[1::2] == [mature.loc[a, "sequence"] for a in mir["mirbase_id"]]

    un = read_tsv(res / "unresolved.tsv")
    assert list(un.columns) == ["text", "status", "reason", "n_mentions", "n_documents",
                                "example_doc_id", "example_sentence"]  # fmt: skip
    by = un.set_index("text")
    assert by.loc["hsa-miR-548", "status"] == "ambiguous"
    assert by.loc["MIR155HG", "status"] == "unresolved"
    assert "host gene" in by.loc["MIR155HG", "reason"]
    assert by.loc["hsa-miR-9999", "example_sentence"] == "miR-9999 is new."


def test_deterministic(tmp_path, mirbase_dir):
    a = _run(tmp_path / "a", mirbase_dir, DOCS)
    b = _run(tmp_path / "b", mirbase_dir, list(reversed(DOCS)))
    for name in ("mentions.tsv", "mirnas.tsv", "unresolved.tsv", "sequences/mirnas.fa"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_no_mirnas_gives_header_only_files(tmp_path, mirbase_dir):
    res = _run(tmp_path, mirbase_dir, [DOCS[2]], family=False)
    assert (res / "mirnas.tsv").read_text().startswith("mirbase_id\tname\tsequence\tseed")
    assert len((res / "mirnas.tsv").read_text().splitlines()) == 1
    assert len((res / "unresolved.tsv").read_text().splitlines()) == 1
    assert (res / "sequences" / "mirnas.fa").read_text() == ""


def test_missing_shard_is_a_clear_error(tmp_path, mirbase_dir):
    argv = ["mirnas", "--mentions", str(tmp_path / "none.jsonl"), "--mirbase", str(mirbase_dir),
            "--out-mentions", str(tmp_path / "m.tsv"), "--out", str(tmp_path / "x.tsv"),
            "--fasta", str(tmp_path / "x.fa"), "--unresolved", str(tmp_path / "u.tsv")]  # fmt: skip
    assert main(argv) == 1
    assert not (tmp_path / "x.tsv").exists()


@pytest.mark.parametrize("policy, expected", [("both", 2), ("dominant", 1)])
def test_arm_policy_reaches_the_table(tmp_path, mirbase_dir, policy, expected):
    src = tmp_path / "d.jsonl"
    src.write_text('{"doc_id": "x", "text": "miR-21 is high."}\n', encoding="utf-8")
    shard = tmp_path / "s.jsonl"
    argv = ["extract", str(src), "--out", str(shard), "--mirbase", str(mirbase_dir),
            "--arm-policy", policy]  # fmt: skip
    assert main(argv) == 0
    out = tmp_path / "mirnas.tsv"
    argv = ["mirnas", "--mentions", str(shard), "--mirbase", str(mirbase_dir),
            "--out-mentions", str(tmp_path / "m.tsv"), "--out", str(out),
            "--fasta", str(tmp_path / "f.fa"), "--unresolved", str(tmp_path / "u.tsv")]  # fmt: skip
    assert main(argv) == 0
    assert len(read_tsv(out)) == expected
