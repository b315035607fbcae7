"""mentions.tsv and claims.tsv merged from cached per-shard fragments (document_merge), and
the Parquet reader the per-shard summaries go through (io.read_parquets)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pyarrow as pa
import pytest

from mirlens.document_merge import merge_by_document
from mirlens.errors import MirlensError
from mirlens.io import read_columns, read_parquets, write_parquet, write_tsv
from mirlens.mention_table import merge_mentions
from mirlens.mention_table import run as mentions_run
from mirlens.text.claims import CLAIM_FIELDS
from mirlens.text.claims_table import read_claims
from mirlens.text.extract import FIELDS


def _mentions(rows: list[tuple[str, int, int, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["doc_id", "start", "end", "sentence"])
    df[["start", "end"]] = df[["start", "end"]].astype(str)
    return df.reindex(columns=FIELDS, fill_value="x")


def _shards(tmp_path) -> list[str]:
    # doc_id ranges interleave between shards; one id needs escaping, one sorts first
    shards = [
        [("d3", 9, 12, "late"), ("d1", 4, 8, "b"), ("d1", 0, 3, "a\tb"), ("d5", 1, 2, "e")],
        [("d2", 0, 5, "c"), ("d4", 7, 9, "d"), ("d4", 2, 3, "d0")],
        [("d\\0", 1, 2, "escaped id"), ("d6", 0, 1, "f")],
        [],
    ]
    paths = []
    for i, rows in enumerate(shards):
        path = tmp_path / f"s{i}.parquet"
        write_parquet(_mentions(rows) if rows else pd.DataFrame(columns=FIELDS), path)
        paths.append(str(path))
    return paths


def _args(inputs, out, cache_dir):
    from argparse import Namespace

    return Namespace(inputs=inputs, out=str(out), cache_dir=cache_dir and str(cache_dir))


def test_merge_equals_one_sort_of_all_rows(tmp_path):
    paths = _shards(tmp_path)
    write_tsv(merge_mentions(paths), tmp_path / "expected.tsv")
    assert mentions_run(_args(paths, tmp_path / "merged.tsv", None)) == 0
    got = (tmp_path / "merged.tsv").read_bytes()
    assert got == (tmp_path / "expected.tsv").read_bytes()
    ids = [line.split("\t")[0] for line in got.decode().splitlines()[1:]]
    assert ids == ["d1", "d1", "d2", "d3", "d4", "d4", "d5", "d6", "d\\\\0"]


def test_rerun_converts_only_changed_shards_and_prunes_the_rest(tmp_path, caplog):
    paths = _shards(tmp_path)
    cache = tmp_path / "cache"
    mentions_run(_args(paths, tmp_path / "first.tsv", cache))
    assert len(list(cache.glob("*.tsv"))) == len(paths)
    caplog.set_level("INFO")
    mentions_run(_args(paths, tmp_path / "second.tsv", cache))
    assert "(0 converted" in caplog.text
    assert (tmp_path / "first.tsv").read_bytes() == (tmp_path / "second.tsv").read_bytes()

    write_parquet(_mentions([("d0", 0, 1, "new first doc")]), paths[3])  # a shard changes
    caplog.clear()
    mentions_run(_args(paths, tmp_path / "third.tsv", cache))
    assert "(1 converted" in caplog.text
    assert len(list(cache.glob("*.tsv"))) == len(paths)  # the old fragment is gone
    write_tsv(merge_mentions(paths), tmp_path / "expected.tsv")
    assert (tmp_path / "third.tsv").read_bytes() == (tmp_path / "expected.tsv").read_bytes()


def test_a_shard_with_columns_of_its_own_is_merged_in_memory(tmp_path):
    paths = _shards(tmp_path)
    extra = _mentions([("d7", 0, 1, "g")]).assign(note="kept")
    write_parquet(extra, paths[3])
    mentions_run(_args(paths, tmp_path / "merged.tsv", tmp_path / "cache"))
    table = pd.read_csv(tmp_path / "merged.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert list(table.columns) == FIELDS + ["note"]
    assert table.loc[table["doc_id"] == "d7", "note"].tolist() == ["kept"]


def test_claims_table_from_fragments_equals_one_sort(tmp_path):
    def claim(doc, m0, g0):
        rec = {f: "" for f in CLAIM_FIELDS}
        rec.update(doc_id=doc, mirna_start=m0, mirna_end=m0 + 5, gene_start=g0,
                   gene_end=g0 + 4, mirbase_ids=["MIMAT0000076"], mirbase_names=["m"],
                   negated=False, hedged=False, asserted=True, sentence="s\nt")  # fmt: skip
        return json.dumps(rec)

    files = {"a.jsonl": [claim("p9", 0, 9), claim("p1", 5, 1), claim("p1", 0, 3)],
             "b.jsonl": [claim("p5", 2, 0)], "c.jsonl": []}  # fmt: skip
    paths = []
    for name, lines in files.items():
        (tmp_path / name).write_text("".join(line + "\n" for line in lines))
        paths.append(str(tmp_path / name))
    n = merge_by_document(paths, tmp_path / "claims.tsv", CLAIM_FIELDS,
                          lambda p: read_claims([p]), ["text/claims_table.py"],
                          tmp_path / "cache")  # fmt: skip
    write_tsv(read_claims(paths), tmp_path / "expected.tsv")
    assert n == 4
    assert (tmp_path / "claims.tsv").read_bytes() == (tmp_path / "expected.tsv").read_bytes()


def test_read_parquets_joins_files_whose_columns_differ(tmp_path):
    full = pa.table({"a": ["x", "y"], "n": [1, 2]})
    empty = pa.table({"a": pa.array([], pa.null()), "n": pa.array([], pa.int64())})
    partial = pa.table({"n": [3]})
    paths = []
    for i, table in enumerate([full, empty, partial]):
        paths.append(tmp_path / f"{i}.parquet")
        write_parquet(table, paths[-1])
    joined = read_parquets(paths)
    assert joined.column("a").to_pylist() == ["x", "y", None]
    assert joined.column("n").to_pylist() == [1, 2, 3]
    assert read_parquets(paths, ["n"]).column_names == ["n"]
    assert read_columns(paths, ["a", "n"])["a"].tolist() == ["x", "y", ""]
    with pytest.raises(MirlensError, match="shard summary not found: .*gone.parquet"):
        read_parquets([paths[0], tmp_path / "gone.parquet"], what="shard summary")
    assert read_parquets([], ["a"]).num_rows == 0
    assert not os.path.exists(tmp_path / "gone.parquet")


def test_fragments_of_other_columns_are_not_reused(tmp_path):
    """New columns (a changed table layout) make new fragments, not a stale fallback."""
    paths = _shards(tmp_path)
    cache = tmp_path / "cache"

    def rows(columns):
        return lambda p: merge_mentions([p])[columns]

    two, three = ["doc_id", "sentence"], ["doc_id", "sentence", "start"]
    assert merge_by_document(paths, tmp_path / "a.tsv", two, rows(two), [], cache) == 9
    assert merge_by_document(paths, tmp_path / "b.tsv", three, rows(three), [], cache) == 9
    header = (tmp_path / "b.tsv").read_text().splitlines()[0]
    assert header.split("\t") == three
