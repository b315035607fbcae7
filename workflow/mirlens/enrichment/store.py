"""Per-release store of every background miRNA's statistics against every set of a library.

The statistics depend only on the sources, releases, thresholds, consensus rule, library
and size bounds: the workflow computes them once into
``resources/store/enrichment/<key>/<library>.parquet`` (key: a hash of exactly those
inputs, :func:`store_key`) and each run selects its miRNAs (:func:`select`). Rows are sorted
by miRNA, one Parquet row group per block of miRNAs, so a selection reads only the groups
that hold its miRNAs.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mirlens.enrichment.bias import strata_margins
from mirlens.enrichment.context import Context
from mirlens.enrichment.permirna import derived, mirna_statistics
from mirlens.errors import MirlensError
from mirlens.io import atomic_open
from mirlens.store_keys import STORE_VERSION

log = logging.getLogger(__name__)
BLOCK = 128  # miRNAs per computation block and row group


_CTX: Context | None = None  # the context of a worker process (set by fork)


def _block(rows: np.ndarray) -> dict[str, np.ndarray]:
    """The stored columns of one block of background miRNAs (cells with overlap > 0)."""
    ctx = _CTX
    stats = mirna_statistics(ctx.targets[rows], ctx.sets.matrix, ctx.model)
    r, k = np.nonzero(stats["overlap"])
    cols = {"mirna_code": rows[r], "set_code": k, "overlap": stats["overlap"][r, k]}
    return cols | {c: stats[c][r, k] for c in ("pvalue", "pvalue_hypergeom")}


def _blocks(ctx: Context, workers: int) -> Iterator[dict[str, np.ndarray]]:
    """Every block in order, computed by ``workers`` forked processes (1: in this one)."""
    global _CTX
    _CTX = ctx
    starts = range(0, len(ctx.background), BLOCK)
    rows = [np.arange(a, min(a + BLOCK, len(ctx.background))) for a in starts]
    try:
        if workers <= 1 or len(rows) <= 1 or "fork" not in mp.get_all_start_methods():
            yield from map(_block, rows)
            return
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            yield from pool.map(_block, rows)
    finally:
        _CTX = None


def build(ctx: Context, path: str | Path, meta: dict | None = None, workers: int = 1) -> dict:
    """Write every background miRNA's statistics against every tested set.

    Only cells with overlap > 0 are rows (p = 1 elsewhere); the rest of every statistic
    follows from the strata margins, kept with the miRNA and set names in the description
    (Parquet schema metadata). Blocks are computed by ``workers`` processes and written
    in order, so the file does not depend on their number. Returns the description.
    """
    Nb, Mb = strata_margins(ctx.targets, ctx.sets.matrix, ctx.model)
    info = ctx.describe() | {"store_version": STORE_VERSION} | (meta or {})
    info |= {
        "mirnas": ctx.background,
        "sets": ctx.sets.names,
        "strata_sizes": ctx.model.stratum_sizes().tolist(),
        "mirna_strata": np.rint(Nb).astype(np.int64).tolist(),
        "set_strata": np.rint(Mb).astype(np.int64).tolist(),
    }
    schema = pa.schema(
        [(c, pa.int32()) for c in ("mirna_code", "set_code", "overlap")]
        + [(c, pa.float64()) for c in ("pvalue", "pvalue_hypergeom")],
        metadata={b"mirlens": json.dumps(info).encode()},
    )
    with atomic_open(path, "wb") as fh, pq.ParquetWriter(fh, schema, compression="zstd") as w:
        for cols in _blocks(ctx, workers):
            w.write_table(pa.table({c: pa.array(v, schema.field(c).type) for c, v in cols.items()}))
    return info


def describe(path: str | Path) -> dict:
    meta = (pq.read_schema(path).metadata or {}).get(b"mirlens")
    return json.loads(meta) if meta else {}


def select(path: str | Path, mirnas: list[str]) -> tuple[list[str], dict, dict]:
    """(the store's miRNAs among ``mirnas``, sorted; their (R, K) statistics; description).

    The statistics equal :func:`mirna_statistics` on the same miRNAs.
    """
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"enrichment store not found: {path} (run `mirlens enrich-store`)")
    try:
        info = describe(path)
        index = {m: i for i, m in enumerate(info["mirnas"])}
        codes = np.asarray(sorted({index[m] for m in mirnas if m in index}), dtype=np.int64)
        table = pq.read_table(path, filters=[("mirna_code", "in", codes.tolist() or [-1])])
    except (pa.ArrowInvalid, OSError, KeyError, json.JSONDecodeError) as exc:
        raise MirlensError(f"{path}: not a readable enrichment store ({exc})") from None
    R, K = codes.size, len(info["sets"])
    row = np.searchsorted(codes, table.column("mirna_code").to_numpy())
    col = table.column("set_code").to_numpy()
    X = np.zeros((R, K), dtype=np.int64)
    X[row, col] = table.column("overlap").to_numpy()
    Nb = np.asarray(info["mirna_strata"], dtype=np.float64).reshape(-1, len(info["strata_sizes"]))
    Mb = np.asarray(info["set_strata"], dtype=np.float64).reshape(-1, K)
    Gb = np.asarray(info["strata_sizes"], dtype=np.float64)
    stats = derived(X, np.ascontiguousarray(Nb[codes]), Mb, Gb, info["universe_size"])
    for c in ("pvalue", "pvalue_hypergeom"):
        stats[c] = np.ones((R, K))
        stats[c][row, col] = table.column(c).to_numpy()
    return [info["mirnas"][c] for c in codes], stats, info
