"""`mirlens targets-parse`: parse one target database release once into a Parquet store.

The store holds every miRNA of the species, already in the one miRNA space (miRBase MIMAT)
and gene space (NCBI symbol + Entrez), with the source's own columns; runs only filter it
(`targets-select`), so a new literature set never reparses a release. Rows are sorted by
mirbase_id, gene_symbol, entrez_id; the same inputs give the same file.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, sha256_file
from mirlens.targets import write_json
from mirlens.targets.genes import GeneIndex, species_taxid
from mirlens.targets.names import MirnaNames

log = logging.getLogger(__name__)
PathLike = str | os.PathLike
SOURCES = ("targetscan", "mirdb", "mirtarbase")


def write_store(df: pd.DataFrame, path: PathLike, metadata: dict[str, str]) -> None:
    """Parquet with pyarrow, string columns dictionary-encoded, metadata in the schema."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta.update({f"mirlens.{k}".encode(): str(v).encode() for k, v in metadata.items()})
    table = table.replace_schema_metadata(meta)
    with atomic_open(path, "wb") as fh:
        pq.write_table(table, fh, compression="zstd", use_dictionary=True)


def read_store(path: PathLike, columns: list[str] | None = None, filters=None) -> pa.Table:
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"target store not found: {path} (run `mirlens targets-parse`)")
    try:
        return pq.read_table(path, columns=columns, filters=filters)
    except (pa.ArrowInvalid, OSError) as exc:
        raise MirlensError(f"{path}: not a readable Parquet store ({exc})") from None


def store_source(path: PathLike) -> str:
    meta = pq.read_schema(path).metadata or {}
    return meta.get(b"mirlens.source", b"").decode()


def parse_source(
    source: str,
    inputs: list[PathLike],
    mirbase: PathLike,
    gene_info: PathLike,
    species: str = "hsa",
    mane: PathLike | None = None,
    gene2refseq: PathLike | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Parse one release -> (harmonised table, stats). Dispatches to the source module."""
    taxid = species_taxid(species)
    log.info("%s: loading miRBase names (%s) and NCBI genes", source, species)
    names = MirnaNames.from_mirbase(mirbase, species)
    genes = GeneIndex.from_gene_info(gene_info, taxid)
    log.info("%s: parsing %d release file(s)", source, len(inputs))
    if source == "targetscan":
        from mirlens.targets import targetscan

        return targetscan.parse(inputs, names, genes, taxid)
    if len(inputs) != 1:
        raise MirlensError(f"{source} takes one --input file, got {len(inputs)}")
    if source == "mirdb":
        from mirlens.targets import mirdb

        return mirdb.parse(inputs[0], names, genes, taxid, mane=mane, gene2refseq=gene2refseq)
    if source == "mirtarbase":
        from mirlens.targets import mirtarbase

        return mirtarbase.parse(inputs[0], names, genes, species)
    raise MirlensError(f"unknown target source {source!r}; choose from {', '.join(SOURCES)}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, choices=SOURCES)
    parser.add_argument(
        "--input",
        required=True,
        nargs="+",
        help="release file(s); TargetScan: context scores, summary counts and family info zips",
    )
    parser.add_argument("--mirbase", required=True, help="miRBase folder (mature.fa, aliases.txt)")
    parser.add_argument("--gene-info", required=True, help="NCBI <Species>.gene_info.gz")
    parser.add_argument("--mane", help="MANE summary (RefSeq NM -> GeneID), for miRDB")
    parser.add_argument(
        "--gene2refseq", help="NCBI gene2refseq(.gz): every RefSeq -> GeneID, for miRDB (optional)"
    )
    parser.add_argument("--species", default="hsa", help="miRBase species code (default: hsa)")
    parser.add_argument("--out", required=True, help="output Parquet store")
    parser.add_argument("--stats", required=True, help="output JSON stats")


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    df, stats = parse_source(
        args.source,
        args.input,
        args.mirbase,
        args.gene_info,
        species=args.species,
        mane=args.mane,
        gene2refseq=args.gene2refseq,
    )
    inputs = [{"path": str(p), "name": Path(p).name, "sha256": sha256_file(p)} for p in args.input]
    write_store(
        df,
        args.out,
        {
            "source": args.source,
            "species": args.species,
            "inputs": ";".join(f"{i['name']}:{i['sha256']}" for i in inputs),
        },
    )
    stats.update(
        {
            "species": args.species,
            "inputs": inputs,
            "store": str(args.out),
            "store_rows": len(df),
        }
    )
    write_json(stats, args.stats)
    log.info(
        "%s: %d pairs -> %s (%.1f s)", args.source, len(df), args.out, time.perf_counter() - t0
    )
    return 0
