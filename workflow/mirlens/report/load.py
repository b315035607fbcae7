"""Read the summary tables the report is built from, tolerantly and only the needed columns.

The report reads summaries, never the full per-gene-set tables: the evidence table
(``evidence.tsv``), the themed and exploratory rows of ``enrichment/<library>.tsv``, the
set-level answers, the miRNA table, the mentions (for the quoted sentences; or, per shard,
just what is quoted: :mod:`mirlens.report.quotes`) and the consensus targets. Every table
is read as strings; missing optional files and columns are filled empty and noted, so a
report can always be built and says what it lacked.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mirlens import contracts
from mirlens.errors import MirlensError
from mirlens.io import read_columns, read_tsv

DOC_COLS = ["doc_id", "title", "year", "pmid", "doi", "status", "path", "source"]
MENTION_COLS = [
    "doc_id",
    "start",
    "end",
    "text",
    "sentence",
    "mirbase_names",
    "status",
    "sentence_start",
]
MIRNA_COLS = ["mirbase_id", "name", "sequence", "seed", "family", "n_documents", "n_mentions"]
UNRES_COLS = ["text", "status", "reason", "n_mentions", "n_documents", "example_doc_id"]
CONS_COLS = [
    "mirbase_id",
    "mirna",
    "gene_symbol",
    "sources",
    "n_sources",
    "n_validated",
    "evidence",
    "evidence_mirtarbase",
    "score_mirdb",
    "score_targetscan",
]
EVIDENCE_COLS = list(contracts.EVIDENCE)
EVIDENCE_NUMERIC = [
    "rank",
    "n_documents",
    "n_theme_documents",
    "n_validated_theme_targets",
    "n_predicted_theme_targets",
    "overlap",
    "pvalue",
    "themed_fdr",
    "set_level_pvalue",
]
ENR_COLS = [
    "scope",
    "mirbase_id",
    "gene_set",
    "theme",
    "hypothesis",
    "set_size",
    "overlap",
    "expected",
    "odds_ratio",
    "pvalue",
    "fdr",
    "genes",
]
ENR_NUMERIC = ["set_size", "overlap", "expected", "odds_ratio", "pvalue", "fdr"]
SET_LEVEL_COLS = list(contracts.ENRICHMENT_SET_LEVEL)
COMBINED_SCOPES = ("genes_union", "pathways_union", "weighted")
FILES = {  # what -> path relative to results/, for the report's "files" section
    "evidence": "evidence.tsv",
    "enrichment": "enrichment/<library>.tsv, .set_level.tsv",
    "mentions": "mentions.tsv",
    "mirnas": "mirnas.tsv",
    "targets": "targets/consensus.tsv, targets/<source>.tsv",
    "documents": "literature/documents.tsv",
    "unresolved": "unresolved.tsv",
}


@dataclass
class Results:
    root: Path
    documents: pd.DataFrame
    mentions: pd.DataFrame
    mirnas: pd.DataFrame
    unresolved: pd.DataFrame
    consensus: pd.DataFrame
    evidence: pd.DataFrame
    enrichment: pd.DataFrame  # per-miRNA rows: themed, plus exploratory at their own FDR
    set_level: pd.DataFrame
    provenance: dict[str, Any] | None
    config: dict[str, Any] | None
    quotes: Any = None  # report.quotes.Quotes read instead of the mentions, if given
    files: dict[str, str] = field(default_factory=dict)  # what -> path relative to results/
    notes: list[str] = field(default_factory=list)


def to_float(values: pd.Series) -> pd.Series:
    """Text -> float, empty -> NaN; a direct cast (fast) unless some value is not a number."""
    try:
        return values.mask(values == "").astype("float64")
    except (ValueError, TypeError):
        return pd.to_numeric(values.replace("", None), errors="coerce")


def numeric(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for col in columns:
        if col in df.columns:
            df[col] = to_float(df[col])
    return df


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})


def table(path: Path, columns: list[str], notes: list[str], required: bool = False):
    """The ``columns`` of a TSV (others are not even parsed); absent ones come back empty."""
    if not path.is_file():
        if required:
            raise MirlensError(f"results table missing: {path}")
        notes.append(f"{path.name} not found; treated as empty")
        return empty(columns)
    try:
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n").split("\t")
        wanted = [c for c in columns if c in header]
        df = read_tsv(path, usecols=wanted) if wanted else empty(columns)
    except pd.errors.EmptyDataError:
        return empty(columns)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise MirlensError(f"cannot read {path}: {exc}") from exc
    for col in columns:
        if col not in df.columns:
            df[col] = ""
    return df.fillna("")[columns]


def _json(path: Path | None, notes: list[str], what: str) -> Any:
    if path is None or not Path(path).is_file():
        if path is not None:
            notes.append(f"{Path(path).name} not found ({what})")
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MirlensError(f"{path} is not valid JSON: {exc}") from exc


def _libraries(edir: Path) -> list[Path]:
    if not edir.is_dir():
        return []
    return sorted(p for p in edir.glob("*.tsv") if not p.name.endswith(".set_level.tsv"))


def enrichment_rows(edir: Path, notes: list[str]) -> pd.DataFrame:
    """Per-miRNA rows of every library, with a ``library`` column."""
    rows = []
    for path in _libraries(edir):
        df = table(path, ENR_COLS, notes)
        df = df[~df["scope"].isin(COMBINED_SCOPES)]
        if (df["hypothesis"] == "").all():  # a producer without the column: theme decides
            df["hypothesis"] = ["themed" if t else "exploratory" for t in df["theme"]]
        rows.append(df.assign(library=path.stem))
    if not rows:
        notes.append("no enrichment tables found")
        return empty([*ENR_COLS, "library"])
    return pd.concat(rows, ignore_index=True)


def set_levels(edir: Path, notes: list[str]) -> pd.DataFrame:
    """Set-level rows of every library (those that have them), with a ``library`` column."""
    levels = []
    for path in _libraries(edir):
        sl_path = path.with_name(f"{path.stem}.set_level.tsv")
        if sl_path.is_file():
            levels.append(table(sl_path, SET_LEVEL_COLS, notes).assign(library=path.stem))
    return pd.concat(levels, ignore_index=True) if levels else empty([*SET_LEVEL_COLS, "library"])


def shard_mentions(paths: list[Path]) -> pd.DataFrame:
    """:data:`MENTION_COLS` of the per-shard mention Parquet files, in the order of
    ``mentions.tsv`` (by document, then offsets; a document's rows in shard order)."""
    df = read_columns(paths, MENTION_COLS)
    keys = pd.DataFrame(
        {"doc_id": df["doc_id"], "start": to_float(df["start"]), "end": to_float(df["end"])}
    )
    order = keys.sort_values(["doc_id", "start", "end"], kind="stable").index
    return df.loc[order].reset_index(drop=True)


# The tables load_results can read; a command asks only for those it uses (the others come
# back empty, unread, and are no rule input of its job).
PARTS = frozenset(
    {"mentions", "mirnas", "unresolved", "consensus", "evidence", "enrichment", "set_level"}
)


def _mentions(root: Path, mentions: list[Path] | None, notes: list[str]) -> pd.DataFrame:
    if mentions is None:
        return table(root / "mentions.tsv", MENTION_COLS, notes)
    return shard_mentions(mentions)


def load_results(
    root: Path,
    provenance: Path | None = None,
    config: Path | None = None,
    mentions: list[Path] | None = None,
    parts: frozenset[str] = PARTS,
):
    """The summaries under ``root`` (of :data:`PARTS`, those in ``parts``); ``mentions``:
    per-shard Parquet files read instead of ``mentions.tsv`` (a few columns of them: faster,
    and no wait for the TSV)."""
    root = Path(root)
    if not root.is_dir():
        raise MirlensError(f"results folder not found: {root}")
    notes: list[str] = []

    def part(name: str, read, columns: list[str]) -> pd.DataFrame:
        return read() if name in parts else empty(columns)

    documents = table(root / "literature" / "documents.tsv", DOC_COLS, notes, required=True)
    mentions_df = part("mentions", lambda: _mentions(root, mentions, notes), MENTION_COLS)
    mirnas = part("mirnas", lambda: table(root / "mirnas.tsv", MIRNA_COLS, notes), MIRNA_COLS)
    unresolved = part(
        "unresolved", lambda: table(root / "unresolved.tsv", UNRES_COLS, notes), UNRES_COLS
    )
    consensus = part(
        "consensus", lambda: table(root / "targets" / "consensus.tsv", CONS_COLS, notes), CONS_COLS
    )
    evidence = part(
        "evidence", lambda: table(root / "evidence.tsv", EVIDENCE_COLS, notes), EVIDENCE_COLS
    )
    edir = root / "enrichment"
    enrichment = part("enrichment", lambda: enrichment_rows(edir, notes), ENR_COLS + ["library"])
    set_level = part("set_level", lambda: set_levels(edir, notes), SET_LEVEL_COLS + ["library"])
    prov_path = provenance if provenance is not None else root / "provenance.json"
    conf_path = config if config is not None else root / "config.json"
    return Results(
        root=root,
        documents=documents,
        mentions=mentions_df,
        mirnas=numeric(mirnas, ["n_documents", "n_mentions"]),
        unresolved=numeric(unresolved, ["n_mentions"]),
        consensus=consensus,
        evidence=numeric(evidence, EVIDENCE_NUMERIC),
        enrichment=numeric(enrichment, ENR_NUMERIC),
        set_level=numeric(set_level, ["pvalue", "fdr", "statistic"]),
        provenance=_json(prov_path, notes, "provenance"),
        config=_json(conf_path, notes, "config"),
        files=dict(FILES),
        notes=notes,
    )


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments `report` and `tables` share: where the results are, and the cut-offs."""
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument(
        "--provenance", type=Path, help="provenance.json (default: <results-dir>/provenance.json)"
    )
    parser.add_argument(
        "--config", type=Path, help="config.json (default: <results-dir>/config.json)"
    )
    parser.add_argument(
        "--top", type=int, default=10, help="miRNAs listed per theme on the first screen"
    )
    parser.add_argument(
        "--alpha", type=float, default=0.05, help="themed FDR at which a result is a finding"
    )
