"""Read a results folder tolerantly: missing optional files and extra columns are fine.

Every table is read as strings (identifiers stay identifiers); the columns the report uses
are added empty when absent, and numeric columns are converted where the report computes
with them. Missing files are recorded in ``notes`` so the report can say what it lacked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mirlens import contracts
from mirlens.errors import MirlensError
from mirlens.io import read_tsv

DOC_COLS = list(contracts.DOCUMENTS)
MENTION_COLS = list(contracts.MENTIONS)
MIRNA_COLS = list(contracts.MIRNAS)
UNRES_COLS = list(contracts.UNRESOLVED)
TARGET_COLS = list(contracts.TARGETS)
CONS_COLS = list(contracts.CONSENSUS)
# The contract's columns plus those of the pre-issue-9 layout that the report still shows
# (filled in empty when a table lacks them).
ENR_COLS = list(
    dict.fromkeys([*contracts.ENRICHMENT, "empirical_pvalue", "empirical_fdr", "library"])
)
ENR_NUMERIC = [
    "set_size",
    "overlap",
    "universe_size",
    "odds_ratio",
    "pvalue",
    "fdr",
    "empirical_pvalue",
    "empirical_fdr",
]
COMBINED_SCOPES = ("genes_union", "pathways_union", "weighted")


@dataclass
class Results:
    root: Path
    documents: pd.DataFrame
    mentions: pd.DataFrame
    mirnas: pd.DataFrame
    unresolved: pd.DataFrame
    targets: dict[str, pd.DataFrame]
    consensus: pd.DataFrame
    target_stats: dict[str, Any]
    enrichment: pd.DataFrame
    n_tested: dict[str, int]  # enrichment rows per scope before filtering
    n_tested_library: dict[str, int]  # enrichment rows per library file
    provenance: dict[str, Any] | None
    config: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)
    max_p: float = 0.05


def _table(path: Path, columns: list[str], notes: list[str], required: bool = False):
    if not path.is_file():
        if required:
            raise MirlensError(f"results table missing: {path}")
        notes.append(f"{path.name} not found; treated as empty")
        return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
    try:
        df = read_tsv(path)
    except pd.errors.EmptyDataError:
        df = pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise MirlensError(f"cannot read {path}: {exc}") from exc
    for col in columns:
        if col not in df.columns:
            df[col] = ""
    return df.fillna("")


def _json(path: Path | None, notes: list[str], what: str) -> Any:
    if path is None or not Path(path).is_file():
        if path is not None:
            notes.append(f"{Path(path).name} not found ({what})")
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MirlensError(f"{path} is not valid JSON: {exc}") from exc


def numeric(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    df = df.copy()
    for col in columns:
        if col in df.columns:
            df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    return df


def _enrichment(path: Path, max_p: float, alpha: float) -> tuple[pd.DataFrame, Counter]:
    """Rows worth showing from one library's table, read in chunks, and rows per scope.

    A GO library over a few hundred miRNAs gives ~10^6 rows; the report keeps those with
    p <= ``max_p``, a theme, or an FDR <= ``alpha`` (the full table stays on disk).
    """
    kept, counts = [], Counter()
    try:
        for chunk in read_tsv(path, chunksize=200_000):
            for col in ENR_COLS:
                if col not in chunk.columns:
                    chunk[col] = ""
            chunk = numeric(chunk.fillna(""), ENR_NUMERIC)
            counts.update(chunk["scope"].value_counts().to_dict())
            keep = (
                (chunk["theme"] != "")
                | (chunk["pvalue"] <= max_p)
                | (chunk["fdr"] <= alpha)
                | (chunk["empirical_fdr"] <= alpha)
            )
            kept.append(chunk[keep])
    except pd.errors.EmptyDataError:
        kept = []
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise MirlensError(f"cannot read {path}: {exc}") from exc
    empty = pd.DataFrame({c: pd.Series(dtype=str) for c in ENR_COLS})
    df = pd.concat(kept, ignore_index=True) if kept else numeric(empty, ENR_NUMERIC)
    df["library"] = [lib or path.stem for lib in df["library"]]
    return df, counts


def load_results(
    root: Path,
    provenance: Path | None = None,
    config: Path | None = None,
    max_p: float = 0.05,
    alpha: float = 0.05,
) -> Results:
    root = Path(root)
    if not root.is_dir():
        raise MirlensError(f"results folder not found: {root}")
    notes: list[str] = []
    documents = _table(root / "literature" / "documents.tsv", DOC_COLS, notes, required=True)
    mentions = numeric(_table(root / "mentions.tsv", MENTION_COLS, notes), ["start", "end"])
    mirnas = numeric(_table(root / "mirnas.tsv", MIRNA_COLS, notes), ["n_documents", "n_mentions"])
    unresolved = numeric(
        _table(root / "unresolved.tsv", UNRES_COLS, notes), ["n_mentions", "n_documents"]
    )
    tdir = root / "targets"
    targets = {}
    for path in sorted(tdir.glob("*.tsv")) if tdir.is_dir() else []:
        if path.stem != "consensus":
            targets[path.stem] = _table(path, TARGET_COLS, notes)
    consensus = numeric(_table(tdir / "consensus.tsv", CONS_COLS, notes), ["n_sources"])
    stats = {}
    for path in sorted(tdir.glob("*.stats.json")) if tdir.is_dir() else []:
        stats[path.name.removesuffix(".stats.json")] = _json(path, notes, "target stats")
    frames = []
    tested: Counter = Counter()
    by_library: dict[str, int] = {}
    edir = root / "enrichment"
    for path in sorted(edir.glob("*.tsv")) if edir.is_dir() else []:
        if path.name.endswith(".set_level.tsv"):  # one row per set, not per miRNA
            continue
        df, counts = _enrichment(path, max_p, alpha)
        tested.update(counts)
        by_library[path.stem] = sum(counts.values())
        frames.append(df)
    if not frames:
        notes.append("no enrichment tables found")
    enrichment = (
        pd.concat(frames, ignore_index=True)
        if frames
        else numeric(_table(edir / "none.tsv", ENR_COLS, []), ENR_NUMERIC)
    )
    n_left_out = sum(tested.values()) - len(enrichment)
    if n_left_out:
        notes.append(
            f"{n_left_out} enrichment rows with p > {max_p:g}, no theme and FDR > {alpha:g} are "
            "left out of this report and workbook; they are in enrichment/<library>.tsv"
        )
    prov_path = provenance if provenance is not None else root / "provenance.json"
    conf_path = config if config is not None else root / "config.json"
    return Results(
        root=root,
        documents=documents,
        mentions=mentions,
        mirnas=mirnas,
        unresolved=unresolved,
        targets=targets,
        consensus=consensus,
        target_stats=stats,
        enrichment=enrichment,
        n_tested=dict(tested),
        n_tested_library=by_library,
        max_p=max_p,
        provenance=_json(prov_path, notes, "provenance"),
        config=_json(conf_path, notes, "config"),
        notes=notes,
    )
