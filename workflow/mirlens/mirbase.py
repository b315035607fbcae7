"""miRBase release files: mature/hairpin sequences, name history, families, clusters.

Readers return small DataFrames; :class:`MirbaseIndex` joins them into the lookups the
mention normaliser needs. Folder layout of a miRBase download (``--mirbase DIR``):
``mature.fa``, ``aliases.txt``, optional ``hairpin.fa``, ``miFam.dat``,
``genomes/<species>.gff3`` and ``miRNA.diff``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from Bio import SeqIO

from mirlens.errors import MirlensError

PathLike = str | os.PathLike


def _require(path: PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"miRBase file not found: {path}")
    return path


def _read_fasta(path: PathLike, id_col: str) -> pd.DataFrame:
    """miRBase FASTA headers are ``>name ACCESSION Genus species description``."""
    rows = []
    with open(_require(path), encoding="utf-8") as fh:
        for rec in SeqIO.parse(fh, "fasta"):
            parts = rec.description.split()
            if len(parts) < 2:
                raise MirlensError(f"{path}: malformed FASTA header {rec.description!r}")
            name = parts[0]
            rows.append(
                (
                    parts[1],
                    name,
                    name.split("-", 1)[0],
                    str(rec.seq).upper().replace("T", "U"),
                )
            )
    return pd.DataFrame(rows, columns=[id_col, "name", "species", "sequence"])


def read_mature(path: PathLike) -> pd.DataFrame:
    """``mature.fa`` -> columns mirbase_id (MIMAT), name, species (hsa), sequence (RNA)."""
    return _read_fasta(path, "mirbase_id")


def read_hairpins(path: PathLike) -> pd.DataFrame:
    """``hairpin.fa`` -> columns mirbase_id (MI), name, species, sequence (RNA)."""
    return _read_fasta(path, "mirbase_id")


def read_aliases(path: PathLike) -> pd.DataFrame:
    """``aliases.txt`` (``ACC<TAB>name1;name2;``) -> one row per (mirbase_id, alias).

    Names are in the file's order, which is the name history (first to current);
    ``order`` keeps that position so callers can tell old names from the current one.
    """
    rows = []
    with open(_require(path), encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            acc, sep, names = line.partition("\t")
            if not sep:
                raise MirlensError(f"{path}:{lineno}: expected 'ACCESSION<TAB>names;'")
            for order, alias in enumerate(n for n in names.split(";") if n.strip()):
                rows.append((acc.strip(), alias.strip(), order))
    return pd.DataFrame(rows, columns=["mirbase_id", "alias", "order"])
