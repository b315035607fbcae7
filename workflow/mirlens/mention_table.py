"""`mirlens mentions-table`: the per-shard mention Parquet files as one ``mentions.tsv``.

The per-shard files (``results/mentions/<shard>.parquet``, all columns text; the
``.mirnas``/``.unresolved`` files beside them are summaries) are the scalable store, which
the evidence and the report read. This person-readable TSV repeats them, sorted by
(doc_id, start, end); a document lives in one shard, so the order within a document is the
shard's own.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from mirlens.document_merge import merge_by_document
from mirlens.io import read_parquets, write_tsv
from mirlens.text.extract import FIELDS

if TYPE_CHECKING:  # a rerun whose shards are all cached merges text, without pandas
    import pandas as pd

log = logging.getLogger(__name__)


def merge_mentions(paths: list[str | Path]) -> pd.DataFrame:
    import pandas as pd

    if not paths:
        return pd.DataFrame(columns=FIELDS)
    df = read_parquets(paths, what="mentions shard").to_pandas().fillna("")
    extra = sorted(set(df.columns) - set(FIELDS))
    df = df.reindex(columns=FIELDS + extra, fill_value="")
    keys = pd.DataFrame(
        {"doc_id": df["doc_id"], "start": df["start"].astype("int64"),
         "end": df["end"].astype("int64")}
    )  # fmt: skip
    order = keys.sort_values(["doc_id", "start", "end"], kind="stable").index
    return df.loc[order].reset_index(drop=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", nargs="*", default=[], help="per-shard mention Parquet files")
    parser.add_argument("--out", required=True, help="mentions.tsv")
    parser.add_argument("--cache-dir", default=None, help="folder for per-shard TSV fragments")


def run(args: argparse.Namespace) -> int:
    code = ["mention_table.py", "io.py"]
    n = merge_by_document(
        args.inputs, args.out, FIELDS, lambda p: merge_mentions([p]), code, args.cache_dir
    )
    if n is None:  # a shard with columns of its own: the table holds them all
        table = merge_mentions(args.inputs)
        write_tsv(table, args.out)
        n = len(table)
    log.info("%d mentions from %d shards -> %s", n, len(args.inputs), args.out)
    return 0
