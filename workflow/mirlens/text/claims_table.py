"""`mirlens claims-table`: per-shard claim JSONL files merged into ``results/claims.tsv``.

One row per miRNA mention x gene name in a sentence (co-mentions included, ``asserted``
says which are claims), sorted by document and offsets; list fields are ';'-joined.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mirlens.io import write_tsv
from mirlens.text.claims import CLAIM_FIELDS

log = logging.getLogger(__name__)
LIST_FIELDS = ("mirbase_ids", "mirbase_names")
FLAG_FIELDS = ("negated", "hedged", "asserted")


def read_claims(paths: Iterable[str | Path]) -> pd.DataFrame:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    df = pd.DataFrame(rows, columns=CLAIM_FIELDS)
    for c in LIST_FIELDS:
        df[c] = df[c].map(lambda v: ";".join(v) if isinstance(v, list) else "")
    for c in FLAG_FIELDS:
        df[c] = df[c].map(lambda v: "true" if v else "false")
    df["sentence"] = df["sentence"].str.replace(r"[\t\r\n]+", " ", regex=True)
    keys = ["doc_id", "mirna_start", "gene_start", "mirna_end", "gene_end"]
    return df.sort_values(keys, kind="mergesort").reset_index(drop=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", nargs="*", default=[], help="per-shard claims JSONL files")
    parser.add_argument("--out", required=True, help="claims.tsv")


def run(args: argparse.Namespace) -> int:
    df = read_claims(args.inputs)
    write_tsv(df, args.out)
    log.info(
        "%d pairs, %d asserted, in %s", len(df), int((df["asserted"] == "true").sum()), args.out
    )
    return 0
