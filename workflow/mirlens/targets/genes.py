"""One gene space: every source's gene identifiers resolved to current NCBI symbols + Entrez IDs.

The reference is NCBI ``<Species>.gene_info.gz`` (Symbol, Synonyms, GeneID, dbXrefs). A gene is
resolved, in order of trust, by an Entrez GeneID the source gives, by an Ensembl gene ID
(``Ensembl:ENSG...`` in dbXrefs, unique), by its current symbol, by the symbol up to case, and
only then by a synonym that names exactly one gene. A synonym shared by several genes is
*ambiguous* and reported with its candidates, never guessed. RefSeq accessions (miRDB) go
through MANE (and optionally NCBI ``gene2refseq``) to a GeneID, then through the same index.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from mirlens.errors import MirlensError
from mirlens.species import SPECIES_NAME, SPECIES_TAXID, species_taxid  # noqa: F401 (re-exported)

PathLike = str | os.PathLike

# How a gene was resolved, best first; also the keys of the gene stats.
GENE_METHODS = ("entrez", "ensembl", "symbol", "symbol_case", "alias", "ambiguous", "unknown")
RESOLVED = frozenset(GENE_METHODS[:5])


def _clean_id(value: object) -> str:
    """Entrez IDs arrive as int, float ('3091.0'), str or empty; return '' or digits."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text if text.isdigit() else ""


@dataclass
class GeneIndex:
    """Lookups built once from gene_info; :meth:`resolve` maps identifier tuples to genes."""

    by_id: dict[str, str]  # GeneID -> current symbol
    by_symbol: dict[str, str]  # current symbol -> GeneID (unique or nomenclature-approved)
    by_upper: dict[str, str]  # upper-cased symbol -> GeneID (only when unique)
    by_alias: dict[str, tuple[str, ...]]  # synonym -> candidate GeneIDs
    by_ensembl: dict[str, str]  # ENSG (no version) -> GeneID (only when unique)
    ambiguous_symbols: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_gene_info(cls, path: PathLike, taxid: int = 9606) -> GeneIndex:
        path = Path(path)
        if not path.is_file():
            raise MirlensError(f"gene_info file not found: {path}")
        cols = ["#tax_id", "GeneID", "Symbol", "Synonyms", "dbXrefs"]
        try:
            df = pd.read_csv(
                path,
                sep="\t",
                dtype=str,
                keep_default_na=False,
                usecols=cols + ["Symbol_from_nomenclature_authority"],
                quoting=3,
            )
        except ValueError as exc:
            raise MirlensError(f"{path}: not an NCBI gene_info file ({exc})") from None
        df = df[df["#tax_id"] == str(taxid)]
        if df.empty:
            raise MirlensError(f"{path}: no genes of taxon {taxid}")
        by_id = dict(zip(df["GeneID"], df["Symbol"], strict=True))

        # A symbol used by several GeneIDs resolves only to the nomenclature-approved one.
        sym_groups = df.groupby("Symbol", sort=True)["GeneID"].agg(tuple)
        by_symbol: dict[str, str] = {}
        ambiguous: dict[str, tuple[str, ...]] = {}
        nomen = df["Symbol"] == df["Symbol_from_nomenclature_authority"]
        approved = set(zip(df.loc[nomen, "Symbol"], df.loc[nomen, "GeneID"], strict=True))
        for sym, ids in sym_groups.items():
            if len(ids) == 1:
                by_symbol[sym] = ids[0]
                continue
            chosen = [i for i in ids if (sym, i) in approved]
            if len(chosen) == 1:
                by_symbol[sym] = chosen[0]
            else:
                ambiguous[sym] = tuple(sorted(ids, key=int))

        upper: dict[str, set[str]] = {}
        for sym, gid in by_symbol.items():
            upper.setdefault(sym.upper(), set()).add(gid)
        by_upper = {k: next(iter(v)) for k, v in upper.items() if len(v) == 1}

        alias: dict[str, set[str]] = {}
        ens: dict[str, set[str]] = {}
        for gid, syn, xref in zip(df["GeneID"], df["Synonyms"], df["dbXrefs"], strict=True):
            if syn and syn != "-":
                for s in syn.split("|"):
                    alias.setdefault(s, set()).add(gid)
            if xref and xref != "-":
                for x in xref.split("|"):
                    if x.startswith("Ensembl:"):
                        ens.setdefault(x[8:], set()).add(gid)
        by_alias = {k: tuple(sorted(v, key=int)) for k, v in alias.items()}
        by_ensembl = {k: next(iter(v)) for k, v in ens.items() if len(v) == 1}
        return cls(by_id, by_symbol, by_upper, by_alias, by_ensembl, ambiguous)

    def resolve_one(
        self, symbol: str = "", entrez: str = "", ensembl: str = ""
    ) -> tuple[str, str, str, str]:
        """-> (gene_symbol, entrez_id, method, note); note lists candidates when ambiguous."""
        entrez = _clean_id(entrez)
        if entrez and entrez in self.by_id:
            return self.by_id[entrez], entrez, "entrez", ""
        if ensembl:
            gid = self.by_ensembl.get(ensembl.split(".", 1)[0])
            if gid:
                return self.by_id[gid], gid, "ensembl", ""
        symbol = (symbol or "").strip()
        if not symbol or symbol == "-":
            return "", "", "unknown", "no identifier"
        gid = self.by_symbol.get(symbol)
        if gid:
            return symbol, gid, "symbol", ""
        gid = self.by_upper.get(symbol.upper())
        if gid:
            return self.by_id[gid], gid, "symbol_case", ""
        if symbol in self.ambiguous_symbols:
            cands = self.ambiguous_symbols[symbol]
            return "", "", "ambiguous", ";".join(f"{self.by_id[c]}:{c}" for c in cands)
        cands = self.by_alias.get(symbol) or self.by_alias.get(symbol.upper(), ())
        if len(cands) == 1:
            return self.by_id[cands[0]], cands[0], "alias", ""
        if len(cands) > 1:
            return "", "", "ambiguous", ";".join(f"{self.by_id[c]}:{c}" for c in cands)
        return "", "", "unknown", "dead Entrez ID" if entrez else ""

    def resolve(
        self,
        symbols: Iterable[str] | None = None,
        entrez: Iterable[str] | None = None,
        ensembl: Iterable[str] | None = None,
        counts: Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """Resolve aligned identifier columns; returns one row per *distinct* input tuple.

        Columns: in_symbol, in_entrez, in_ensembl, n (input rows), gene_symbol, entrez_id,
        gene_map, gene_note. Callers merge it back on the in_* columns, so the work scales
        with distinct genes, not with rows. ``counts`` gives a row weight per input.
        """
        cols = {
            k: list(v) if v is not None else None
            for k, v in {"in_symbol": symbols, "in_entrez": entrez, "in_ensembl": ensembl}.items()
        }
        n = max((len(v) for v in cols.values() if v is not None), default=0)
        keys = pd.DataFrame({k: v if v is not None else [""] * n for k, v in cols.items()})
        keys = keys.fillna("").astype(str)
        keys["n"] = list(counts) if counts is not None else 1
        keys = keys.groupby(list(cols), sort=False)["n"].sum().reset_index()
        out = [
            self.resolve_one(s, e, g)
            for s, e, g in zip(
                keys["in_symbol"], keys["in_entrez"], keys["in_ensembl"], strict=True
            )
        ]
        res = pd.DataFrame(out, columns=["gene_symbol", "entrez_id", "gene_map", "gene_note"])
        return pd.concat([keys, res], axis=1)


def gene_stats(resolved: pd.DataFrame, examples: int = 10) -> dict:
    """Counts of distinct input genes and of input rows per resolution method, with examples."""
    stats: dict = {"distinct_inputs": int(len(resolved))}
    counts = resolved["gene_map"].value_counts()
    stats["genes"] = {m: int(counts.get(m, 0)) for m in GENE_METHODS}
    w = resolved.groupby("gene_map")["n"].sum()
    stats["rows"] = {m: int(w.get(m, 0)) for m in GENE_METHODS}
    stats["genes_mapped"] = int(sum(stats["genes"][m] for m in RESOLVED))
    stats["rows_mapped"] = int(sum(stats["rows"][m] for m in RESOLVED))
    for method in ("ambiguous", "unknown", "alias"):
        sub = resolved[resolved["gene_map"] == method].head(examples)
        stats[f"{method}_examples"] = [
            {
                k: v
                for k, v in {
                    "symbol": s,
                    "entrez": e,
                    "ensembl": g,
                    "resolved": r,
                    "note": n,
                }.items()
                if v
            }
            for s, e, g, r, n in zip(
                sub["in_symbol"],
                sub["in_entrez"],
                sub["in_ensembl"],
                sub["gene_symbol"],
                sub["gene_note"],
                strict=True,
            )
        ]
    return stats


def _strip_version(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.replace_substring_regex(arr, pattern=r"\.\d+$", replacement="")


def read_mane_refseq(path: PathLike) -> pd.DataFrame:
    """MANE summary -> DataFrame[refseq (NM without version), entrez_id, mane_symbol]."""
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"MANE summary not found: {path}")
    try:
        tab = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=["#NCBI_GeneID", "symbol", "RefSeq_nuc"],
                column_types={c: pa.string() for c in ["#NCBI_GeneID", "symbol", "RefSeq_nuc"]},
            ),
        )
    except (pa.ArrowInvalid, KeyError) as exc:
        raise MirlensError(f"{path}: not a MANE summary file ({exc})") from None
    return pd.DataFrame(
        {
            "refseq": _strip_version(tab["RefSeq_nuc"]).to_pandas(),
            "entrez_id": pc.replace_substring(tab["#NCBI_GeneID"], "GeneID:", "").to_pandas(),
            "mane_symbol": tab["symbol"].to_pandas(),
        }
    ).drop_duplicates("refseq")


def read_gene2refseq(path: PathLike, taxid: int) -> pd.DataFrame:
    """NCBI ``gene2refseq(.gz)`` -> DataFrame[refseq (no version), entrez_id] for one taxon.

    This covers every NM_/XM_/NR_ of a gene (MANE has one per gene); only RNA accessions are
    kept, and an accession shared by several GeneIDs is dropped (counted by the caller as
    unmapped rather than guessed).
    """
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"gene2refseq file not found: {path}")
    cols = ["#tax_id", "GeneID", "RNA_nucleotide_accession.version"]
    try:
        tab = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=cols, column_types={c: pa.string() for c in cols}
            ),
        )
    except (pa.ArrowInvalid, KeyError) as exc:
        raise MirlensError(f"{path}: not an NCBI gene2refseq file ({exc})") from None
    tab = tab.filter(pc.equal(tab["#tax_id"], str(taxid)))
    df = pd.DataFrame(
        {
            "refseq": _strip_version(tab["RNA_nucleotide_accession.version"]).to_pandas(),
            "entrez_id": tab["GeneID"].to_pandas(),
        }
    )
    df = df[df["refseq"] != "-"].drop_duplicates()
    return df[~df["refseq"].duplicated(keep=False)].reset_index(drop=True)
