"""`mirlens claims-table`: per-shard claim JSONL files merged into ``results/claims.tsv``.

One row per miRNA mention x gene name in a sentence (co-mentions included, ``asserted``
says which are claims), sorted by document and offsets; list fields are ';'-joined.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from mirlens.document_merge import merge_by_document
from mirlens.errors import MirlensError
from mirlens.text.claims import CLAIM_FIELDS

if TYPE_CHECKING:  # a rerun whose shards are all cached merges text, without pandas
    import pandas as pd

log = logging.getLogger(__name__)
LIST_FIELDS = ("mirbase_ids", "mirbase_names")
FLAG_FIELDS = ("negated", "hedged", "asserted")


def _schema():
    import pyarrow as pa

    types = {f: pa.string() for f in CLAIM_FIELDS}
    types.update({f: pa.int64() for f in ("mirna_start", "mirna_end", "gene_start", "gene_end")})
    types.update({f: pa.list_(pa.string()) for f in LIST_FIELDS})
    types.update({f: pa.bool_() for f in FLAG_FIELDS})
    return pa.schema([(f, types[f]) for f in CLAIM_FIELDS])


def _read_jsonl(path: str | Path, schema):
    """One claims JSONL file as an Arrow table (pyarrow's JSON reader: no Python per row)."""
    import pyarrow as pa
    from pyarrow import json as pajson

    if Path(path).stat().st_size == 0:
        return schema.empty_table()
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        return pajson.read_json(path, parse_options=options).select(CLAIM_FIELDS)
    except pa.ArrowInvalid as exc:
        raise MirlensError(f"{path}: not a claims JSONL file ({exc})") from None


def read_claims(paths: Iterable[str | Path]) -> pd.DataFrame:
    import pyarrow as pa

    schema = _schema()
    tables = [_read_jsonl(p, schema) for p in paths]
    df = pa.concat_tables(tables or [schema.empty_table()]).to_pandas()
    for c in LIST_FIELDS:
        df[c] = [";".join(v) if v is not None else "" for v in df[c]]
    for c in FLAG_FIELDS:
        df[c] = ["true" if v else "false" for v in df[c]]
    df["sentence"] = df["sentence"].str.replace(r"[\t\r\n]+", " ", regex=True)
    keys = ["doc_id", "mirna_start", "gene_start", "mirna_end", "gene_end"]
    return df.sort_values(keys, kind="mergesort").reset_index(drop=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", nargs="*", default=[], help="per-shard claims JSONL files")
    parser.add_argument("--out", required=True, help="claims.tsv")
    parser.add_argument("--cache-dir", default=None, help="folder for per-shard TSV fragments")


def run(args: argparse.Namespace) -> int:
    code = ["text/claims_table.py", "text/claims.py", "io.py"]
    n = merge_by_document(
        args.inputs, args.out, CLAIM_FIELDS, lambda p: read_claims([p]), code, args.cache_dir
    )
    log.info("%d claim rows from %d shards in %s", n, len(args.inputs), args.out)
    return 0
