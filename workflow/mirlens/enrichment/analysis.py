"""One library's enrichment for the run's miRNAs: per-miRNA rows and the set-level answer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mirlens.enrichment import store as stats_store
from mirlens.enrichment.bias import strata_margins
from mirlens.enrichment.context import Context, prepare
from mirlens.enrichment.matrices import overlap_genes, overlaps, query_sizes, target_matrix
from mirlens.enrichment.permirna import mirna_statistics, standardised
from mirlens.enrichment.setlevel import genes_union, rank_test, set_level_table
from mirlens.enrichment.tables import readable, run_table
from mirlens.errors import MirlensError
from mirlens.genesets import Library, themes_by_set

log = logging.getLogger(__name__)


@dataclass
class EnrichmentResult:
    table: pd.DataFrame  # every tested row (``every_row=False``: the readable ones)
    readable: pd.DataFrame  # themed rows + exploratory rows passing their own FDR
    set_level: pd.DataFrame
    meta: dict = field(default_factory=dict)


def run_statistics(ctx: Context, mirnas: list[str], T_run, store: Path | None, meta: dict):
    """(R, K) statistics of the run's miRNAs: from the store where it holds them with the
    same targets, computed here otherwise (e.g. run-only sources such as ENCORI)."""
    n_run = query_sizes(T_run)
    stored: dict[str, int] = {}  # run miRNA -> row of the store selection
    selected: dict = {}
    if store is not None:
        found, selected, info = stats_store.select(store, mirnas)
        if info.get("sets") != ctx.sets.names or info.get("universe_size") != ctx.universe.size:
            raise MirlensError(f"{store}: built for another universe or library than this run")
        position = {m: i for i, m in enumerate(mirnas)}
        for j, name in enumerate(found):
            if selected["n_targets"][j, 0] == n_run[position[name]]:
                stored[name] = j
    fresh = [i for i, name in enumerate(mirnas) if name not in stored]
    meta["mirnas_from_store"] = len(stored)
    meta["mirnas_computed"] = len(fresh)
    computed = mirna_statistics(T_run[fresh], ctx.sets.matrix, ctx.model) if fresh else {}
    columns = computed or selected
    out = {
        c: np.empty((len(mirnas), len(ctx.sets.names)), dtype=np.asarray(v).dtype)
        for c, v in columns.items()
    }
    take = [i for i, name in enumerate(mirnas) if name in stored]
    for c in out:
        if take:
            out[c][take] = selected[c][[stored[mirnas[i]] for i in take]]
        if fresh:
            out[c][fresh] = computed[c]
    return out


def background_z(ctx: Context, exclude: Sequence[str]) -> np.ndarray:
    """The per-miRNA statistic z of every background miRNA not in ``exclude``."""
    skip = set(exclude)
    rows = [i for i, m in enumerate(ctx.background) if m not in skip]
    T = ctx.targets[rows]
    Nb, Mb = strata_margins(T, ctx.sets.matrix, ctx.model)
    return standardised(overlaps(T, ctx.sets.matrix), Nb, Mb, ctx.model.stratum_sizes())


def enrich(
    targets: pd.DataFrame,
    library: Library,
    *,
    background: pd.DataFrame | None = None,
    universe_genes: Sequence[str] | None = None,
    store: Path | None = None,
    themes: dict | None = None,
    min_size: int = 5,
    max_size: int = 2000,
    exploratory_fdr: float = 0.05,
    every_row: bool = True,
) -> EnrichmentResult:
    """Per-miRNA bias-corrected tests, themed/exploratory FDR and the set-level answer.

    Without ``background`` the target table is its own background (the bias model then
    comes from the given miRNAs only). ``every_row=False``: ``table`` holds only the
    readable rows (themed, and exploratory rows passing their FDR), which is all a run
    writes unless asked for every row (millions for GO)."""
    for name, df in (("targets", targets), ("background", background)):
        if df is not None and not {"mirna", "gene_symbol"} <= set(df.columns):
            raise MirlensError(f"{name} table needs columns 'mirna' and 'gene_symbol'")
    ctx = prepare(
        library, targets if background is None else background, universe_genes, min_size, max_size
    )
    mirnas, T_run = target_matrix(targets, ctx.universe)
    theme_of = themes_by_set(themes or {}, library.name)
    meta = ctx.describe() | _notes(targets, mirnas, theme_of, ctx)
    if not mirnas or not ctx.sets.names:
        log.warning(
            "%s: nothing to test (%d miRNAs, %d sets)",
            library.name,
            len(mirnas),
            len(ctx.sets.names),
        )
        empty = run_table([], [], [], np.zeros(0), {}, _empty_stats(), _no_genes, 0, "")
        return EnrichmentResult(empty, empty, set_level_table([], {}, *_no_test(), None), meta)
    stats = run_statistics(ctx, mirnas, T_run, store, meta)
    ids = _mirbase_ids(targets)
    display = np.asarray(ctx.universe.display, dtype=object)
    table = run_table(
        mirnas,
        [ids.get(m, "") for m in mirnas],
        ctx.sets.names,
        ctx.sets.sizes,
        theme_of,
        stats,
        lambda cells: overlap_genes(T_run, ctx.sets.matrix, display, cells),
        ctx.universe.size,
        library.name,
        readable_fdr=None if every_row else exploratory_fdr,
    )
    z_bg = background_z(ctx, mirnas) if background is not None else np.zeros((0, 0))
    auc, p = rank_test(stats["z"], z_bg)
    union = genes_union(T_run, ctx.sets.matrix, ctx.model)
    meta["genes_union"] = "tested" if union else "left out: the union covers >= 50% of universe"
    set_level = set_level_table(ctx.sets.names, theme_of, auc, p, len(mirnas), z_bg.shape[0], union)
    return EnrichmentResult(table, readable(table, exploratory_fdr), set_level, meta)


def _empty_stats() -> dict:
    return {
        c: np.zeros(0)
        for c in (
            "overlap",
            "expected",
            "odds_ratio",
            "pvalue",
            "pvalue_hypergeom",
            "n_targets",
            "expected_plain",
            "z",
        )
    }


def _no_genes(cells: np.ndarray) -> np.ndarray:
    return np.full(len(cells), "", dtype=object)


def _no_test() -> tuple:
    return np.zeros(0), np.zeros(0), 0, 0


def _mirbase_ids(targets: pd.DataFrame) -> dict[str, str]:
    if "mirbase_id" not in targets.columns:
        return {}
    pairs = targets[["mirna", "mirbase_id"]].drop_duplicates("mirna")
    return dict(
        zip(pairs["mirna"].astype(str).str.strip(), pairs["mirbase_id"].astype(str), strict=True)
    )


def _notes(targets: pd.DataFrame, mirnas: list[str], theme_of: dict, ctx: Context) -> dict:
    """Recorded skips: miRNAs without targets in the universe, theme sets out of bounds."""
    given = set(pd.Series(targets["mirna"].unique()).astype(str).str.strip()) - {""}
    no_targets = sorted(given - set(mirnas))
    untested = sorted(set(theme_of) - set(ctx.sets.names))
    if no_targets:
        log.warning(
            "%s: %d miRNA(s) without targets in the universe, not tested: %s",
            ctx.library.name,
            len(no_targets),
            "; ".join(no_targets[:20]),
        )
    if untested:
        log.warning(
            "%s: theme gene set(s) outside the size bounds, not tested: %s",
            ctx.library.name,
            "; ".join(untested),
        )
    return {
        "query_mirnas": len(mirnas),
        "query_mirnas_without_targets_in_universe": no_targets,
        "theme_sets_not_tested": untested,
        "themed_sets": sorted(set(theme_of) & set(ctx.sets.names)),
    }
