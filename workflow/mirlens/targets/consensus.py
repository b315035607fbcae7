"""`mirlens consensus`: combine per-source target tables by k-of-n agreement.

Sources are *predicted* (targetscan, mirdb) or *validated* (mirtarbase; encori, whose pairs
need CLIP support). A pair is one (mirbase_id, gene) after the one-gene-space mapping, so
sources agree only on the same MIMAT and the same NCBI gene. Modes (``--min-sources K``):

* ``any``: all given sources count; keep pairs found in >= K of them.
* ``predicted``: only predicted sources count (validated inputs are ignored); >= K of them.
* ``validated``: only validated sources count; >= K of them.
* ``both``: all sources count; keep pairs found in >= K *predicted* sources AND in >= 1
  validated source (a prediction confirmed by experiment).

``n_sources`` is the number of counted sources that contain the pair (after each source's own
thresholds); ``n_predicted``/``n_validated`` split it. The same rule over ALL miRNAs gives
``background.parquet`` (random miRNA sets for the empirical null) and ``universe.txt``: the
genes that are a consensus target of at least one miRNA, i.e. the genes that *could* be
targets with these sources and filters. ENCORI only has the run's miRNAs, so with ENCORI
the background and universe are limited to them (stated in the stats).

The workflow builds the background once per release (`mirlens background`) and, unless a
run-only source is used, selects the run's rows from it (``--background``): the same rows
as combining the run's tables.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, read_tsv, write_parquet, write_tsv
from mirlens.store_keys import RUN_ONLY_SOURCES
from mirlens.targets import KEY_COLUMNS, PREDICTED_SOURCES, VALIDATED_SOURCES, write_json

log = logging.getLogger(__name__)
PathLike = str | os.PathLike
MODES = ("any", "predicted", "validated", "both")
LONG_COLUMNS = KEY_COLUMNS + ["source", "score", "evidence"]


def source_kind(source: str) -> str:
    if source in PREDICTED_SOURCES:
        return "predicted"
    if source in VALIDATED_SOURCES:
        return "validated"
    raise MirlensError(
        f"unknown target source {source!r}: known predicted {PREDICTED_SOURCES}, "
        f"validated {VALIDATED_SOURCES}"
    )


def _name_from_path(path: Path) -> str:
    name = path.name
    for suffix in (".all.parquet", ".parquet", ".tsv"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _tidy(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    missing = [c for c in KEY_COLUMNS + ["score", "evidence"] if c not in df.columns]
    if missing:
        raise MirlensError(f"{path}: missing columns {missing} (not a targets table)")
    if "source" not in df.columns or df.empty:
        df = df.assign(source=_name_from_path(path))
    df = df[LONG_COLUMNS].copy()
    for c in KEY_COLUMNS + ["source", "evidence"]:
        df[c] = df[c].astype(str)
    df["score"] = pd.to_numeric(df["score"], errors="coerce")
    sources = set(df["source"]) if len(df) else {_name_from_path(path)}
    if len(sources) != 1:
        raise MirlensError(f"{path}: expected one source per file, found {sorted(sources)}")
    source_kind(next(iter(sources)))
    return df


def read_targets(path: PathLike) -> pd.DataFrame:
    """A `targets-select` output (TSV or Parquet) -> long table (LONG_COLUMNS)."""
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"targets table not found: {path}")
    if path.suffix == ".parquet":
        cols = [c for c in LONG_COLUMNS if c in pq.read_schema(path).names]
        df = pq.read_table(path, columns=cols).to_pandas()
    else:
        df = read_tsv(path)
    return _tidy(df, path)


def counted_sources(sources: list[str], mode: str, k: int) -> list[str]:
    """The sources that count in ``mode``; checks that K is reachable."""
    if mode not in MODES:
        raise MirlensError(f"--mode must be one of {', '.join(MODES)}")
    if k < 1:
        raise MirlensError("--min-sources must be >= 1")
    pred = [s for s in sources if source_kind(s) == "predicted"]
    val = [s for s in sources if source_kind(s) == "validated"]
    counted = {"any": sources, "predicted": pred, "validated": val, "both": sources}[mode]
    pool = pred if mode in ("predicted", "both") else counted
    if mode == "both" and not val:
        raise MirlensError("--mode both needs at least one validated source (mirtarbase/encori)")
    if k > len(pool):
        what = (
            "predicted "
            if mode in ("predicted", "both")
            else ("validated " if mode == "validated" else "")
        )
        raise MirlensError(
            f"--min-sources {k} but only {len(pool)} {what}source(s) given: {sorted(pool)}"
        )
    return sorted(counted)


def combine(long: pd.DataFrame, sources: list[str], mode: str, k: int) -> pd.DataFrame:
    """Long per-source rows -> one row per (miRNA, gene) passing the consensus rule, sorted.

    Columns: KEY_COLUMNS, sources, n_sources, n_predicted, n_validated, scores, evidence,
    then score_<source> and evidence_<source> per counted source.
    """
    counted = sorted(sources)
    long = long[long["source"].isin(counted)]
    cols = KEY_COLUMNS + [
        "sources",
        "n_sources",
        "n_predicted",
        "n_validated",
        "scores",
        "evidence",
    ]
    cols += [f"score_{s}" for s in counted] + [f"evidence_{s}" for s in counted]
    if long.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    keys = ["mirbase_id", "gene_symbol", "entrez_id"]
    pid = long.groupby(keys, sort=False).ngroup().to_numpy()
    first = ~pd.Series(pid).duplicated().to_numpy()
    pairs = long.loc[first, KEY_COLUMNS].copy()
    pairs.index = pid[first]
    pairs = pairs.sort_index()
    n = len(pairs)
    present = {}
    score = {}
    evid = {}
    for s in counted:
        sub = long["source"].to_numpy() == s
        idx = pid[sub]
        p = np.zeros(n, dtype=bool)
        p[idx] = True
        sc = np.full(n, np.nan)
        sc[idx] = long["score"].to_numpy()[sub]
        ev = np.full(n, "", dtype=object)
        ev[idx] = long["evidence"].to_numpy()[sub]
        present[s], score[s], evid[s] = p, sc, ev
    n_pred = np.zeros(n, dtype=np.int64)
    n_val = np.zeros(n, dtype=np.int64)
    for s in counted:
        (n_pred if source_kind(s) == "predicted" else n_val)[present[s]] += 1
    n_src = n_pred + n_val
    if mode == "both":
        keep = (n_pred >= k) & (n_val >= 1)
    else:
        keep = n_src >= k
    out = pairs[keep].reset_index(drop=True)
    src_s = np.full(keep.sum(), "", dtype=object)
    sc_s = np.full(keep.sum(), "", dtype=object)
    ev_s = np.full(keep.sum(), "", dtype=object)
    for s in counted:
        p = present[s][keep]
        sep = np.where(src_s == "", "", ";").astype(object)
        fmt = np.array(
            [f"{s}:{v:.6g}" if v == v else f"{s}:NA" for v in score[s][keep][p]], dtype=object
        )
        src_s[p] = src_s[p] + sep[p] + s
        sc_s[p] = sc_s[p] + sep[p] + fmt
        ev_s[p] = ev_s[p] + sep[p] + (s + ":" + evid[s][keep][p].astype(object))
    out["sources"] = src_s
    out["n_sources"] = n_src[keep]
    out["n_predicted"] = n_pred[keep]
    out["n_validated"] = n_val[keep]
    out["scores"] = sc_s
    out["evidence"] = ev_s
    for s in counted:
        out[f"score_{s}"] = score[s][keep]
    for s in counted:
        out[f"evidence_{s}"] = evid[s][keep]
    out = out.sort_values(["mirna", "gene_symbol", "entrez_id"], kind="mergesort")
    return out[cols].reset_index(drop=True)


def _load(paths: list[PathLike]) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    for p in paths:
        df = read_targets(p)
        src = df["source"].iloc[0] if len(df) else _name_from_path(Path(p))
        if src in frames:
            raise MirlensError(f"source {src} given twice (second: {p})")
        frames[src] = df
    return frames


def add_arguments(parser: argparse.ArgumentParser) -> None:
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--inputs", nargs="+", help="targets/<source>.tsv files")
    given.add_argument(
        "--background",
        help="the per-release background.parquet (`mirlens background`): the run's rows are "
        "selected from it (same rows as combining the run's per-source tables), with --mirnas",
    )
    parser.add_argument("--mirnas", help="the run's miRNAs (mirnas.fa or mirnas.tsv)")
    parser.add_argument(
        "--all-inputs",
        nargs="+",
        help="targets/<source>.all.parquet files (same sources; all miRNAs): also write the "
        "background (the workflow builds it per release with `mirlens background` instead)",
    )
    parser.add_argument(
        "--min-sources",
        type=int,
        default=1,
        help="K: counted sources a pair needs (mode both: predicted sources); default 1",
    )
    parser.add_argument("--mode", choices=MODES, default="any", help="default: any")
    parser.add_argument("--out", required=True, help="consensus.tsv (run's miRNAs)")
    parser.add_argument("--background-out", help="background.parquet (all miRNAs)")
    parser.add_argument("--universe-out", help="universe.txt (one gene per line)")
    parser.add_argument("--stats", required=True, help="consensus.stats.json")


def run(args: argparse.Namespace) -> int:
    cons, stats = _selected(args) if args.background else _combined(args)
    write_tsv(cons, args.out)
    write_json(stats, args.stats)
    log.info("consensus (%s, k=%d): %d pairs", args.mode, args.min_sources, len(cons))
    return 0


def _pair_stats(cons: pd.DataFrame) -> dict:
    return {
        "pairs": len(cons),
        "mirnas": int(cons["mirbase_id"].nunique()),
        "genes": int(cons["gene_symbol"].nunique()),
        "pairs_by_n_sources": n_sources_histogram(cons),
    }


def n_sources_histogram(df: pd.DataFrame) -> dict:
    """{n_sources: pairs} with string keys, as the stats files record it."""
    return {str(int(k)): int(v) for k, v in df["n_sources"].value_counts().sort_index().items()}


def _selected(args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
    """The run's rows of the per-release background; each source's own counts are in its
    ``targets/<source>.stats.json``."""
    from mirlens.targets.background import select
    from mirlens.targets.select import read_run_mirnas

    if not args.mirnas:
        raise MirlensError("--background needs --mirnas (the run's miRNAs)")
    cons = select(args.background, read_run_mirnas(args.mirnas))
    counted = sorted(c.removeprefix("score_") for c in cons.columns if c.startswith("score_"))
    stats = {"mode": args.mode, "min_sources": args.min_sources, "counted_sources": counted}
    stats["selected_from"] = "the per-release background (same sources, thresholds and rule)"
    return cons, stats | _pair_stats(cons)


def _combined(args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
    run_frames = _load(args.inputs)
    with_background = bool(args.all_inputs)
    if with_background and not (args.background_out and args.universe_out):
        raise MirlensError("--all-inputs needs --background-out and --universe-out")
    all_frames = _load(args.all_inputs) if with_background else run_frames
    if set(run_frames) != set(all_frames):
        raise MirlensError(
            f"--inputs sources {sorted(run_frames)} differ from --all-inputs {sorted(all_frames)}"
        )
    sources = sorted(run_frames)
    counted = counted_sources(sources, args.mode, args.min_sources)
    cons = combine(
        pd.concat(run_frames.values(), ignore_index=True), counted, args.mode, args.min_sources
    )
    back = None  # built per release (`mirlens background`) unless --all-inputs asks
    if with_background:
        every = pd.concat(all_frames.values(), ignore_index=True)
        back = combine(every, counted, args.mode, args.min_sources)
    stats = {
        "mode": args.mode,
        "min_sources": args.min_sources,
        "sources": sources,
        "counted_sources": counted,
        "ignored_sources": [s for s in sources if s not in counted],
        "run_only_sources": [s for s in counted if s in RUN_ONLY_SOURCES],
        "per_source": {s: _counts(run_frames[s], "run") for s in sources},
    } | _pair_stats(cons)
    if back is not None:
        for s in sources:
            stats["per_source"][s] |= _counts(all_frames[s], "all")
        universe = sorted(set(back["gene_symbol"]))
        write_parquet(back, args.background_out)
        with atomic_open(args.universe_out) as fh:
            fh.writelines(g + "\n" for g in universe)
        stats |= {
            "background_pairs": len(back),
            "background_mirnas": int(back["mirbase_id"].nunique()),
            "background_pairs_by_n_sources": n_sources_histogram(back),
            "universe_size": len(universe),
        }
    return cons, stats


def _counts(df: pd.DataFrame, prefix: str) -> dict:
    return {
        f"{prefix}_pairs": len(df),
        f"{prefix}_mirnas": int(df["mirbase_id"].nunique()),
        f"{prefix}_genes": int(df["gene_symbol"].nunique()),
    }
