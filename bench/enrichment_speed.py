"""Benchmark: vectorised ORA for many miRNAs vs a loop of gseapy.enrich, and the null's cost.

Data (read from ../shared/mirror, never copied): miRDB v6.0 prediction pairs mapped to gene
symbols through MANE v1.0 (RefSeq NM without version), MSigDB Hallmark v7.0 GMT and the
Enrichr GO_Biological_Process_2021 library (~6,000 sets together).

1. ``mirlens.enrichment.enrich`` for N_LISTS miRNA target lists, whole output table
   included (rows for every miRNA x tested set, overlap genes listed, set-level test).
2. ``gseapy.enrich`` on the same lists, same gene sets and the same universe as
   ``background``, one call per list (gseapy's API). With ``--quick`` only a few lists go
   through gseapy and its time is extrapolated from the measured per-list mean.
   p-values, odds ratios and overlaps are compared for every (list, set) gseapy reports.
The plain hypergeometric p (``pvalue_hypergeom``) is compared with gseapy's.

Run: ``python bench/enrichment_speed.py [--quick]``; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))
sys.path.insert(0, str(REPO / "bench"))

from mirror_data import GOBP, HALLMARK, load_mirdb_pairs  # noqa: E402

from mirlens.enrichment import bh, enrich, haldane_odds_ratio, hypergeom_tail  # noqa: E402
from mirlens.enrichment.matrices import (  # noqa: E402
    build_universe,
    gene_set_matrix,
    overlap_genes,
    overlaps,
    query_sizes,
    target_matrix,
)
from mirlens.genesets import Library, read_library  # noqa: E402

REPEATS = 3


def _fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times) + f" (median {np.median(times):.2f})"


def combined_library() -> Library:
    hallmark = read_library(HALLMARK, name="hallmark")
    gobp = read_library(GOBP, name="GO_Biological_Process_2021")
    sets = {**hallmark.sets, **gobp.sets}
    assert len(sets) == len(hallmark.sets) + len(gobp.sets)
    return Library("hallmark+GO_BP_2021", sets)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few gseapy lists, extrapolated")
    ap.add_argument("--lists", type=int, default=500)
    ap.add_argument("--gseapy-lists", type=int, default=None, help="default: all, 10 if --quick")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("gseapy").setLevel(logging.ERROR)
    import gseapy

    n_gseapy = args.gseapy_lists or (10 if args.quick else args.lists)

    t0 = time.perf_counter()
    pairs = load_mirdb_pairs()
    library = combined_library()
    load_s = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)
    all_mirnas = np.array(sorted(pairs["mirna"].unique()))
    chosen = sorted(rng.choice(all_mirnas, args.lists, replace=False))
    query = pairs[pairs["mirna"].isin(chosen)]
    print(f"pairs {len(pairs)}, miRNAs {len(all_mirnas)}, query lists {len(chosen)}, "
          f"sets {len(library.sets)} (load {load_s:.1f} s)")  # fmt: skip

    # 1a. ours, core: overlaps, p-values, odds ratios, BH FDR and overlap gene lists for
    #     every list x set (what gseapy.enrich computes), universe and set matrix included.
    def core() -> None:
        uni_obj = build_universe(pairs["gene_symbol"], library, "background")
        sets = gene_set_matrix(library, uni_obj, 5, 2000)
        _, T = target_matrix(query, uni_obj)
        X, nq, m = overlaps(T, sets.matrix), query_sizes(T), sets.sizes
        P = hypergeom_tail(X, uni_obj.size, m[None, :], nq[:, None])
        bh(P, axis=1)
        haldane_odds_ratio(X, uni_obj.size, m[None, :], nq[:, None])
        overlap_genes(T, sets.matrix, np.asarray(uni_obj.display, dtype=object))

    # 1b. ours: the whole analysis as enrich() returns it (every row, bias-corrected test,
    #     themed / exploratory FDR, set-level test against every other background miRNA).
    def full():
        return enrich(query, library, background=pairs)

    # Each timed REPEATS times (the first run is cold: fresh memory pages); median reported.
    core_times, full_times = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        core()
        core_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        res = full()
        full_times.append(time.perf_counter() - t0)
    core_s, ours_s = float(np.median(core_times)), float(np.median(full_times))
    table = res.table
    universe = sorted(build_universe(pairs["gene_symbol"], library, "background").display)
    n_sets = res.meta["sets_tested"]
    print(f"ours, core (matrices, p, OR, FDR, genes): runs {_fmt(core_times)} s")
    print(f"ours, enrich() table: {len(chosen)} lists x {n_sets} sets, universe {len(universe)}: "
          f"runs {_fmt(full_times)} s")  # fmt: skip

    # 2. gseapy.enrich loop on the same lists, tested sets and universe.
    tested = set(table["gene_set"])
    gene_sets = {k: v for k, v in library.sets.items() if k in tested}
    # Same input for gseapy: symbols in the library's spelling (we match case-insensitively;
    # gseapy upper-cases a mixed-case query when the library is upper case, but not the sets).
    spelling = {g.upper(): g for g in universe}
    sub = rng.choice(len(chosen), min(n_gseapy, len(chosen)), replace=False)
    max_rel_p = max_rel_or = 0.0
    compared = mismatched_overlap = 0
    outputs = []
    # One warm-up call (imports, first allocations) outside the timing, as for ours' repeats.
    gseapy.enrich(
        gene_list=sorted(spelling.values())[:100], gene_sets=gene_sets,
        background=universe, outdir=None, no_plot=True,
    )  # fmt: skip
    t0 = time.perf_counter()
    for i in sorted(sub):
        mi = chosen[i]
        raw = query.loc[query["mirna"] == mi, "gene_symbol"].str.upper()
        genes = sorted({spelling[g] for g in raw if g in spelling})
        enr = gseapy.enrich(
            gene_list=genes, gene_sets=gene_sets, background=universe, outdir=None, no_plot=True
        )
        outputs.append((mi, enr.results))
    gseapy_s = time.perf_counter() - t0
    by_scope = dict(tuple(table.groupby("scope")))
    for mi, theirs in outputs:
        ours = by_scope[mi].set_index("gene_set")
        theirs = theirs.set_index("Term")
        common = theirs.index
        p_ours = ours.loc[common, "pvalue_hypergeom"].to_numpy(float)
        p_theirs = theirs["P-value"].to_numpy(float)
        max_rel_p = max(max_rel_p, float(np.max(np.abs(p_ours - p_theirs) / p_theirs)))
        or_ours = ours.loc[common, "odds_ratio"].to_numpy(float)
        or_theirs = theirs["Odds Ratio"].to_numpy(float)
        max_rel_or = max(max_rel_or, float(np.max(np.abs(or_ours - or_theirs) / or_theirs)))
        hits = theirs["Overlap"].str.split("/").str[0].astype(int).to_numpy()
        mismatched_overlap += int(np.sum(hits != ours.loc[common, "overlap"].to_numpy()))
        mismatched_overlap += int(set(common) != set(ours.index[ours["overlap"] > 0]))
        compared += len(common)
    per_list = gseapy_s / len(outputs)
    gseapy_total = per_list * len(chosen)
    speedup = gseapy_total / ours_s
    speedup_core = gseapy_total / core_s
    print(f"gseapy.enrich: {len(outputs)} lists in {gseapy_s:.2f} s = {per_list:.3f} s/list; "
          f"for {len(chosen)} lists {gseapy_total:.1f} s "
          f"({'extrapolated' if len(outputs) < len(chosen) else 'measured'}); "
          f"speedup {speedup:.0f}x (enrich table), {speedup_core:.0f}x (core)")  # fmt: skip
    print(f"compared {compared} p-values: max rel diff p {max_rel_p:.2e}, OR {max_rel_or:.2e}, "
          f"overlap mismatches {mismatched_overlap}")  # fmt: skip

    result = {
        "benchmark": "enrichment_speed",
        "quick": args.quick,
        "cores": os.cpu_count(),
        "lists": len(chosen),
        "gene_sets_tested": n_sets,
        "universe_size": len(universe),
        "ours_s": round(ours_s, 3),
        "ours_s_runs": [round(t, 3) for t in full_times],
        "ours_core_s": round(core_s, 3),
        "ours_core_s_runs": [round(t, 3) for t in core_times],
        "gseapy_lists_measured": len(outputs),
        "gseapy_s_measured": round(gseapy_s, 3),
        "gseapy_s_per_list": round(per_list, 4),
        "gseapy_s_for_all_lists": round(gseapy_total, 2),
        "gseapy_extrapolated": len(outputs) < len(chosen),
        "speedup": round(speedup, 1),
        "speedup_core": round(speedup_core, 1),
        "pvalues_compared": compared,
        "max_rel_diff_pvalue": max_rel_p,
        "max_rel_diff_odds_ratio": max_rel_or,
        "overlap_mismatches": mismatched_overlap,
        "pvalues_equal_1e-9": bool(max_rel_p <= 1e-9 and mismatched_overlap == 0),
        "speedup_ok_50x": bool(speedup >= 50),
        "speedup_core_ok_50x": bool(speedup_core >= 50),
    }
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
