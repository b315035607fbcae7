"""Over-representation of miRNA targets in gene sets, with FDR and a matched empirical null.

miRNA target sets are large and biased: genes with long 3'UTRs are predicted targets of
almost every miRNA, so a plain hypergeometric test calls gene sets rich in such genes
"enriched" for any miRNA, random ones included (Bleazard et al. 2015; Godard & van Eyll
2015). Every scope therefore also gets an empirical p-value against random miRNA sets
drawn from the background (miRNAs with targets in the same sources), matched on the
target-count distribution.

Universe: genes that can be targets (``--universe`` list, else the background's genes,
else the query's genes) ∩ the library's genes, compared case-insensitively. Gene sets
and targets are cut down to the universe; a set is tested when its size within the
universe lies in [min_size, max_size], and every tested set gets a row (zero overlaps
included), so BH runs over all of them.

Scopes (``scope`` column):
- per miRNA (scope = the miRNA's name): one-sided hypergeometric test (= Fisher exact,
  alternative "greater") on the miRNA's targets.
- ``genes_union``: the same test on the union of all query miRNAs' targets.
- ``pathways_union``: per-miRNA p-values combined per gene set by Fisher's method
  (chi-square, 2 x n_mirnas df). The per-miRNA tests share genes, so this p-value is
  anti-conservative by construction; read its empirical p-value.
- ``weighted``: genes weighted by how many query miRNAs target them; one-sided
  Mann-Whitney U test (normal approximation with tie and continuity correction, as
  ``scipy.stats.mannwhitneyu(method="asymptotic")``) of set genes vs the other genes.

Empirical null: ``n_null`` random miRNA sets of the query's size. Background miRNAs are
cut into target-count quantile bins; each query miRNA is replaced by a distinct random
background miRNA of its own bin. Union scopes compare their statistic with the same
statistic on each random set; empirical p = (1 + #{null at least as extreme}) / (N + 1).
For a single miRNA the random "set" is one miRNA of the same bin, so the per-miRNA scope
uses every background miRNA of that bin (the query miRNA itself left out): the exact
limit of drawing many random sets, without Monte-Carlo noise. Ties count against the
query, so with few targets (many p = 1) the per-miRNA empirical p is conservative.

Output columns beyond the contract: ``empirical_fdr`` (BH over empirical p within a
scope), ``library``, ``test`` (hypergeometric / fisher_combined / mann_whitney),
``n_mirnas`` (miRNAs in the scope), ``n_query`` (query genes in the universe: the
miRNA's targets, or the union), ``expected`` (n_query x set_size / universe_size),
``n_null`` (random sets, or background miRNAs of the bin for a per-miRNA scope) and
``mirnas`` (the miRNA, or for union scopes the miRNAs with >= 1 target in the set).
``odds_ratio`` (Haldane-corrected) is given for the hypergeometric scopes only.
A JSON sidecar (``--meta``) records the universe, the size filter and the null.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse, special, stats

from mirlens.errors import MirlensError
from mirlens.genesets import Library, check_themes, load_themes, read_gmt, themes_by_set
from mirlens.io import atomic_open, read_tsv, write_tsv

log = logging.getLogger(__name__)

SCOPES = ("per_mirna", "genes_union", "pathways_union", "weighted")
COLUMNS = [
    "scope",
    "gene_set",
    "theme",
    "set_size",
    "overlap",
    "universe_size",
    "odds_ratio",
    "pvalue",
    "fdr",
    "empirical_pvalue",
    "genes",
    # extras
    "empirical_fdr",
    "library",
    "test",
    "n_mirnas",
    "n_query",
    "expected",
    "n_null",
    "mirnas",
]
# Null statistics equal to the observed one up to rounding count as "at least as extreme".
_TIE_RTOL = 1e-12


# ---------------------------------------------------------------- statistics


def hypergeom_tail(x: np.ndarray, M: int, m: np.ndarray, n: np.ndarray) -> np.ndarray:
    """P(X >= x) for X ~ Hypergeom(M, m, n), elementwise; equals ``hypergeom.sf(x-1, M, m, n)``.

    ``scipy.stats.hypergeom.sf`` costs ~30 us per value (boost's exact pmf), too slow for
    millions of miRNA x gene-set pairs. Here the pmf at one end of the tail comes from a
    table of log-factorials in extended precision (``np.longdouble``; ~1e-13 relative
    to boost's pmf), and the tail is summed with the pmf ratio recurrence, always on the
    short side of the mean (the tail itself above it, 1 - the lower tail below it), until
    the terms no longer change the sum. Tests check it against ``hypergeom.sf`` at 1e-9.
    """
    M = int(M)
    x, m, n = (np.atleast_1d(np.asarray(a, dtype=np.int64)) for a in (x, m, n))
    shape = np.broadcast_shapes(x.shape, m.shape, n.shape)
    xb, mb, nb = np.broadcast_arrays(x, m, n)  # views: m and n are usually a row / column
    out = np.ones(xb.size, dtype=np.float64)
    # With m, n >= 0, p = 1 wherever x <= 0 (most overlaps are 0): only cells with x > 0
    # are gathered, without materialising the broadcast m and n.
    if (m.size and m.min() < 0) or (n.size and n.min() < 0):
        cand = np.arange(xb.size)
    else:
        cand = np.flatnonzero(xb > 0)
    idx = np.unravel_index(cand, xb.shape)
    x, m, n = xb[idx], mb[idx], nb[idx]
    lo = np.maximum(0, m + n - M)
    hi = np.minimum(m, n)
    out[cand[x > hi]] = 0.0
    keep = (x > lo) & (x <= hi)  # elsewhere p is exactly 1 (or 0)
    todo = cand[keep]
    if todo.size:
        x, m, n = x[keep], m[keep], n[keep]
        if M < 2_000_000:  # (M + 1)^3 fits in int64
            # Cells share (x, m, n) triples (same set size, query size and overlap):
            # each distinct triple is computed once and scattered back.
            key, inv = np.unique((x * (M + 1) + m) * (M + 1) + n, return_inverse=True)
            x, m, n = key // (M + 1) ** 2, key // (M + 1) % (M + 1), key % (M + 1)
        else:
            inv = np.arange(todo.size)
        val = np.empty(x.size)
        up = x * M > n * m
        down = ~up
        lf = _log_factorials(M)
        if up.any():
            val[up] = _tail_sum(x[up], M, m[up], n[up], lf, upward=True)
        if down.any():
            val[down] = 1.0 - _tail_sum(x[down] - 1, M, m[down], n[down], lf, upward=False)
        out[todo] = val[inv]
    return np.clip(out, 0.0, 1.0, out=out).reshape(shape)


def _log_factorials(M: int) -> np.ndarray:
    """log(k!) for k = 0..M, in extended precision where the platform has it (x86-64).

    Without an extended long double (e.g. arm64 macOS) a float64 cumulative sum would drift
    (~1e-7 relative at k = 15,000), so ``gammaln`` (~1e-11) is used there instead.
    """
    if np.finfo(np.longdouble).eps < 1e-17:
        k = np.arange(1, M + 1, dtype=np.longdouble)
        return np.concatenate([np.zeros(1, dtype=np.longdouble), np.cumsum(np.log(k))])
    return special.gammaln(np.arange(M + 1, dtype=np.float64) + 1.0)


_STEPS = 4  # recurrence terms between convergence checks


def _tail_sum(
    start: np.ndarray, M: int, m: np.ndarray, n: np.ndarray, lf: np.ndarray, upward: bool
) -> np.ndarray:
    """sum of pmf(j) for j from ``start`` away from the mode (up or down), vectorised."""
    x = start
    log_first = (
        lf[m] - lf[x] - lf[m - x] + lf[M - m] - lf[n - x] - lf[M - m - n + x] - lf[M] + lf[n]
        + lf[M - n]
    ).astype(np.float64)  # fmt: skip
    total = np.ones(start.size)
    # Iterate on compacted copies of the entries whose sum still changes. Past the end of
    # the support a ratio is 0, so extra steps of converged entries add exact zeros.
    ids = np.arange(start.size)
    j = start.astype(np.float64)
    mf, nf = m.astype(np.float64), n.astype(np.float64)
    rest = M - mf - nf  # M - m - n
    term = np.ones(start.size)
    acc = np.ones(start.size)
    while ids.size:
        for _ in range(_STEPS):
            if upward:  # pmf(j+1)/pmf(j)
                num = mf - j
                num *= nf - j
                den = rest + j
                den += 1.0
                j += 1.0
                den *= j
            else:  # pmf(j-1)/pmf(j)
                num = rest + j
                num *= j
                den = mf - j
                den += 1.0
                den *= nf - j + 1.0
                j -= 1.0
            np.maximum(num, 0.0, out=num)
            num /= den
            term *= num
            acc += term
        going = term > 1e-17 * acc
        if not going.all():
            total[ids[~going]] = acc[~going]
            ids, j, mf, nf, rest, term, acc = (a[going] for a in (ids, j, mf, nf, rest, term, acc))
    with np.errstate(divide="ignore"):
        return np.exp(log_first + np.log(total))


def haldane_odds_ratio(x, M, m, n) -> np.ndarray:
    """Odds ratio of the 2x2 table (in set / in query) with 0.5 added to every cell.

    Always corrected (as gseapy does), so the value is finite and continuous in the counts.
    """
    x, m, n = (np.asarray(a, dtype=np.float64) for a in (x, m, n))
    # ((a + 0.5) * (d + 0.5)) / ((b + 0.5) * (c + 0.5)) with a = x, b = m - x, c = n - x,
    # d = M - m - n + x; in place where possible (these are millions of cells).
    shape = np.broadcast_shapes(x.shape, m.shape, n.shape)
    num, t, c = np.empty(shape), np.empty(shape), np.empty(shape)
    np.add(x, 0.5, out=num)
    np.subtract(M, m, out=t)
    t -= n
    t += x
    t += 0.5
    num *= t
    np.subtract(m, x, out=t)
    t += 0.5
    np.subtract(n, x, out=c)
    c += 0.5
    t *= c
    num /= t
    return num[()]


def bh(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values along ``axis`` (NaN-free input)."""
    p = np.asarray(p, dtype=np.float64)
    if p.size == 0 or p.shape[axis] == 0:
        return p.copy()
    return stats.false_discovery_control(p, axis=axis, method="bh")


def mann_whitney_greater(ranks: np.ndarray, S: sparse.csc_array, tie_term: np.ndarray):
    """One-sided U test of set genes vs the rest, for every set and every rank vector.

    ``ranks``: (R, G) average ranks of the gene weights; ``tie_term``: (R,) sum(t^3 - t)
    over tie groups. Returns (z, p) arrays of shape (R, K). Same normal approximation as
    ``scipy.stats.mannwhitneyu(..., alternative="greater", method="asymptotic")``.
    """
    G = ranks.shape[1]
    m = np.asarray(S.sum(axis=0)).ravel().astype(np.float64)  # set sizes
    rank_sum = np.asarray((S.T @ ranks.T).T, dtype=np.float64)  # (R, K)
    u = rank_sum - m * (m + 1.0) / 2.0
    mu = m * (G - m) / 2.0
    var = m * (G - m) / 12.0 * ((G + 1.0) - tie_term[:, None] / (G * (G - 1.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (u - mu - 0.5) / np.sqrt(var)
    z = np.where(var > 0, z, -np.inf)  # all weights tied: no evidence
    return z, stats.norm.sf(z)


def _bh_sorted(p: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``bh(p, axis=1)`` given ``order = argsort(p, axis=1)``: the sort is shared with the
    output order. Same arithmetic as ``scipy.stats.false_discovery_control``; tied p-values
    get the same adjusted value whatever their order, so any sorting order gives equal FDRs.
    """
    ps = np.take_along_axis(p, order, axis=1)
    n = ps.shape[1]
    ps *= n / np.arange(1, n + 1, dtype=ps.dtype)
    np.minimum.accumulate(ps[:, ::-1], out=ps[:, ::-1], axis=1)
    out = np.empty_like(ps)
    np.put_along_axis(out, order, ps, axis=1)
    return np.clip(out, 0.0, 1.0, out=out)


def _ranks_and_ties(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks per row and the tie term sum(t^3 - t) per row."""
    weights = np.atleast_2d(weights)
    ranks = stats.rankdata(weights, axis=1, method="average")
    tie = np.empty(weights.shape[0])
    for i, row in enumerate(weights):
        _, counts = np.unique(row, return_counts=True)
        counts = counts.astype(np.float64)
        tie[i] = np.sum(counts**3 - counts)
    return ranks, tie


# ---------------------------------------------------------------- data model


@dataclass
class Universe:
    """Gene index of the universe (upper-case keys) and display names from the library."""

    keys: list[str]
    display: list[str]
    source: str
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {k: i for i, k in enumerate(self.keys)}

    @property
    def size(self) -> int:
        return len(self.keys)


def _norm_symbols(values: Iterable) -> set[str]:
    """Upper-case, stripped, non-empty symbols (vectorised: background tables are large)."""
    ser = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    # Normalise each distinct value once: background tables repeat every gene many times.
    ser = pd.Series(pd.unique(ser.dropna()), dtype=object)
    ser = ser.astype(str).str.strip().str.upper()
    return set(ser[ser != ""].unique())


def _memberships(library: Library) -> pd.DataFrame:
    """One row per (set, gene) of the library, with the upper-case gene key."""
    names = list(library.sets)
    lengths = [len(library.sets[n]) for n in names]
    genes = list(chain.from_iterable(library.sets[n] for n in names))
    return pd.DataFrame(
        {
            "set": np.repeat(np.asarray(names, dtype=object), lengths),
            "set_code": np.repeat(np.arange(len(names), dtype=np.int64), lengths),
            "gene": pd.Series(genes, dtype=object),
            "key": pd.Series([g.upper() for g in genes], dtype=object),
        }
    )


def build_universe(
    candidates: Iterable[str], library: Library, source: str, members: pd.DataFrame | None = None
) -> Universe:
    """candidates ∩ library genes, case-insensitively, sorted; display = library spelling."""
    members = (_memberships(library) if members is None else members).drop_duplicates("key")
    lib_display = dict(zip(members["key"], members["gene"], strict=True))
    keys = sorted(_norm_symbols(candidates) & lib_display.keys())
    return Universe(keys=keys, display=[lib_display[k] for k in keys], source=source)


@dataclass
class GeneSets:
    names: list[str]
    matrix: sparse.csc_array  # (G, K) 0/1
    sizes: np.ndarray  # within universe
    n_library: int
    n_out_of_bounds: int


def gene_set_matrix(
    library: Library,
    universe: Universe,
    min_size: int,
    max_size: int,
    members: pd.DataFrame | None = None,
) -> GeneSets:
    """Sets cut to the universe, kept when min_size <= size <= max_size (sorted by name)."""
    if members is None:  # ``_memberships(library)``, passed in when already built
        members = _memberships(library)
    lib_names = list(library.sets)  # set_code order
    G = max(universe.size, 1)
    gene_idx = pd.Index(universe.keys).get_indexer(members["key"])
    inside = gene_idx >= 0
    # Distinct (set, gene) pairs as integer keys: a set may list a gene twice (any case).
    pair = np.unique(members["set_code"].to_numpy()[inside] * G + gene_idx[inside])
    set_code, gene = pair // G, pair % G
    sizes_lib = np.bincount(set_code, minlength=len(lib_names)).astype(np.int64)
    by_name = sorted(range(len(lib_names)), key=lib_names.__getitem__)
    kept = [c for c in by_name if min_size <= sizes_lib[c] <= max_size]
    names = [lib_names[c] for c in kept]
    col_of = np.full(len(lib_names), -1, dtype=np.int64)
    col_of[kept] = np.arange(len(kept))
    cols = col_of[set_code]
    rows = gene[cols >= 0]
    cols = cols[cols >= 0]
    data = np.ones(rows.size, dtype=np.float64)
    mat = sparse.csc_array((data, (rows, cols)), shape=(universe.size, len(names)))
    mat.sort_indices()
    return GeneSets(
        names, mat, sizes_lib[kept].astype(np.int64), len(library.sets), len(lib_names) - len(names)
    )


def target_matrix(pairs: pd.DataFrame, universe: Universe) -> tuple[list[str], sparse.csr_array]:
    """miRNA x universe-gene 0/1 matrix from (mirna, gene_symbol) rows; miRNAs sorted."""
    # Normalise each distinct name once, then work on integer codes.
    mc, mu = pd.factorize(pairs["mirna"], use_na_sentinel=False)
    kc, ku = pd.factorize(pairs["gene_symbol"], use_na_sentinel=False)
    mu = pd.Series(mu).astype(str).str.strip().to_numpy(dtype=object)
    ku = pd.Series(ku).astype(str).str.strip().str.upper().to_numpy(dtype=object)
    gene_of = pd.Index(universe.keys).get_indexer(ku) if len(ku) else np.zeros(0, np.int64)
    c = gene_of[kc] if len(kc) else np.zeros(0, dtype=np.int64)
    ok = (c >= 0) & (mu[mc] != "") if len(mc) else np.zeros(0, dtype=bool)
    mirnas = sorted(set(mu[np.unique(mc[ok])]))
    mi = {m: i for i, m in enumerate(mirnas)}
    row_of = np.array([mi.get(m, -1) for m in mu], dtype=np.int64)
    G = max(universe.size, 1)
    pair = np.unique(row_of[mc[ok]] * G + c[ok])
    r, c = pair // G, pair % G
    mat = sparse.csr_array(
        (np.ones(pair.size, dtype=np.float64), (r, c)), shape=(len(mirnas), universe.size)
    )
    return mirnas, mat


# ---------------------------------------------------------------- empirical null


def count_bins(pool_counts: np.ndarray, query_counts: np.ndarray, n_bins: int) -> tuple:
    """Quantile bins of the pool's target counts, merged until each bin can supply its queries.

    Returns (edges, pool_bin, query_bin): bin b holds counts in (edges[b], edges[b+1]].
    """
    qs = np.quantile(pool_counts, np.linspace(0, 1, n_bins + 1)) if len(pool_counts) else [0]
    edges = np.unique(np.asarray(qs, dtype=np.float64))
    edges[0], edges[-1] = -np.inf, np.inf
    if len(edges) < 2:
        edges = np.array([-np.inf, np.inf])
    while True:
        pool_bin = np.searchsorted(edges[1:-1], pool_counts, side="left")
        query_bin = np.searchsorted(edges[1:-1], query_counts, side="left")
        nb = len(edges) - 1
        have = np.bincount(pool_bin, minlength=nb)
        need = np.bincount(query_bin, minlength=nb)
        short = np.flatnonzero(have < need)
        if short.size == 0 or nb == 1:
            return edges, pool_bin, query_bin
        b = int(short[0])
        # Merge with the smaller neighbour: drop the edge between them.
        if b == 0:
            drop = 1
        elif b == nb - 1:
            drop = b
        else:
            drop = b if have[b - 1] <= have[b + 1] else b + 1
        edges = np.delete(edges, drop)


def draw_null_sets(
    pool_bin: np.ndarray, query_bin: np.ndarray, n_null: int, rng: np.random.Generator
) -> sparse.csr_array:
    """(n_null, n_pool) 0/1 matrix: each row a random pool set matched bin by bin."""
    rows, cols = [], []
    for b in np.unique(query_bin):
        k = int(np.sum(query_bin == b))
        members = np.flatnonzero(pool_bin == b)
        if k > members.size:
            raise MirlensError(
                f"background has {members.size} miRNAs in a target-count bin that holds "
                f"{k} query miRNAs; cannot draw matched random sets"
            )
        # k distinct members per draw: the first k of a random permutation per row.
        pick = np.argsort(rng.random((n_null, members.size)), axis=1)[:, :k]
        rows.append(np.repeat(np.arange(n_null), k))
        cols.append(members[pick].ravel())
    r = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
    c = np.concatenate(cols) if cols else np.array([], dtype=np.int64)
    return sparse.csr_array(
        (np.ones(r.size, dtype=np.float64), (r, c)), shape=(n_null, pool_bin.size)
    )


def _empirical(null: np.ndarray, observed: np.ndarray, larger_is_extreme: bool) -> np.ndarray:
    """(1 + #{null at least as extreme as observed}) / (N + 1), per column."""
    if larger_is_extreme:
        hits = null >= observed[None, :] - _TIE_RTOL * np.abs(observed[None, :])
    else:
        hits = null <= observed[None, :] * (1.0 + _TIE_RTOL)
    return (1.0 + hits.sum(axis=0)) / (null.shape[0] + 1.0)


def per_mirna_empirical(
    p_query: np.ndarray,
    query_bin: np.ndarray,
    query_in_pool: np.ndarray,
    p_pool: np.ndarray,
    pool_bin: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Empirical p of each query miRNA against every pool miRNA of its bin (itself excluded).

    ``query_in_pool[i]`` is the pool row of query miRNA i, or -1. Returns (p, n_null).
    """
    out = np.full(p_query.shape, np.nan)
    n_null = np.zeros(p_query.shape[0], dtype=np.int64)
    for b in np.unique(query_bin):
        qi = np.flatnonzero(query_bin == b)
        members = np.flatnonzero(pool_bin == b)
        sorted_null = np.sort(p_pool[members], axis=0)  # (n_b, K)
        thr = p_query[qi] * (1.0 + _TIE_RTOL)  # (n_q, K)
        counts = np.empty(thr.shape, dtype=np.int64)
        for k in range(thr.shape[1]):
            counts[:, k] = np.searchsorted(sorted_null[:, k], thr[:, k], side="right")
        # Leave the query miRNA out of its own null.
        own = query_in_pool[qi]
        is_member = np.isin(own, members)
        if is_member.any():
            rows = qi[is_member]
            own_p = p_pool[own[is_member]]
            counts[is_member] -= own_p <= p_query[rows] * (1.0 + _TIE_RTOL)
        size = members.size - is_member.astype(np.int64)
        out[qi] = (1.0 + counts) / (size[:, None] + 1.0)
        n_null[qi] = size
    return out, n_null


# ---------------------------------------------------------------- the analysis


@dataclass
class EnrichmentResult:
    table: pd.DataFrame
    meta: dict
    universe: list[str] = field(default_factory=list)  # library spelling, sorted


def ora(T: sparse.csr_array, S: sparse.csc_array, G: int):
    """Overlaps, query sizes and hypergeometric p-values for every row of T x set."""
    X = (T @ S).astype(np.int64).toarray()  # (R, K); counts are exact in float64
    n = np.asarray(T.sum(axis=1)).ravel().astype(np.int64)
    m = np.asarray(S.sum(axis=0)).ravel().astype(np.int64)
    p = hypergeom_tail(X, G, m[None, :], n[:, None])
    return X, n, m, p


def overlap_genes(T: sparse.csr_array, S: sparse.csc_array, display: np.ndarray) -> np.ndarray:
    """(R*K,) object array: for row r of T and set k, the ';'-joined genes in both.

    Vectorised over every (row, gene, set) triple: each target gene of a row is repeated
    once per set that holds it, triples are sorted by (row, set, gene) and the names
    concatenated per (row, set) group with ``np.add.reduceat``.
    """
    R, K = T.shape[0], S.shape[1]
    display = np.asarray(display, dtype=object)
    out = np.full(R * K, "", dtype=object)
    T = sparse.csr_array(T)
    T.sort_indices()
    S_csr = sparse.csr_array(S)
    S_csr.sort_indices()
    rows = np.repeat(np.arange(R), np.diff(T.indptr))
    genes = T.indices
    lengths = np.diff(S_csr.indptr)[genes]
    total = int(lengths.sum())
    if total == 0:
        return out
    row_rep = np.repeat(rows, lengths)
    gene_rep = np.repeat(genes, lengths)
    first = np.repeat(S_csr.indptr[genes] - (np.cumsum(lengths) - lengths), lengths)
    set_rep = S_csr.indices[np.arange(total) + first]
    key = row_rep.astype(np.int64) * K + set_rep
    G = display.size
    if R * K * G < 2**62:  # (row, set, gene) fits one int64: one argsort, not a lexsort
        order = np.argsort(key * G + gene_rep)
    else:
        order = np.lexsort((gene_rep, key))
    key, gene_rep = key[order], gene_rep[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    # Each group's first name bare, the others with a leading ';': reduceat joins them.
    labels = (";" + display)[gene_rep]
    labels[starts] = display[gene_rep[starts]]
    out[key[starts]] = np.add.reduceat(labels, starts)
    return out


def enrich(
    targets: pd.DataFrame,
    library: Library,
    *,
    background: pd.DataFrame | None = None,
    universe_genes: Sequence[str] | None = None,
    scopes: Sequence[str] = SCOPES,
    n_null: int = 1000,
    seed: int = 0,
    min_size: int = 5,
    max_size: int = 2000,
    n_bins: int = 10,
    themes: dict | None = None,
) -> EnrichmentResult:
    """Run every requested scope; see the module docstring for the statistics."""
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        raise MirlensError(f"unknown scope(s) {', '.join(bad)}; choose from {', '.join(SCOPES)}")
    for name, df in (("targets", targets), ("background", background)):
        if df is not None and not {"mirna", "gene_symbol"} <= set(df.columns):
            raise MirlensError(f"{name} table needs columns 'mirna' and 'gene_symbol'")

    members = _memberships(library)
    if universe_genes is not None:
        universe = build_universe(universe_genes, library, "--universe list", members)
    elif background is not None:
        universe = build_universe(background["gene_symbol"], library, "background targets", members)
    else:
        universe = build_universe(targets["gene_symbol"], library, "query targets", members)
    G = universe.size
    gs = gene_set_matrix(library, universe, min_size, max_size, members)
    mirnas, T = target_matrix(targets, universe)
    given = set(pd.Series(targets["mirna"].unique()).astype(str).str.strip()) - {""}
    no_targets = sorted(given - set(mirnas))
    if no_targets:
        log.warning(
            "%s: %d miRNA(s) without targets in the universe, not tested: %s",
            library.name,
            len(no_targets),
            "; ".join(no_targets[:20]),
        )
    theme_of = themes_by_set(themes or {}, library.name)
    untested = sorted(set(theme_of) - set(gs.names))
    if untested:
        log.warning(
            "%s: theme gene set(s) outside the size bounds within the universe, not tested: %s",
            library.name,
            "; ".join(untested),
        )
    display = np.asarray(universe.display, dtype=object)

    meta: dict = {
        "library": library.name,
        "universe_source": universe.source,
        "universe_size": G,
        "library_sets": gs.n_library,
        "sets_tested": len(gs.names),
        "sets_outside_size_bounds": gs.n_out_of_bounds,
        "min_size": min_size,
        "max_size": max_size,
        "query_mirnas": len(mirnas),
        "query_mirnas_without_targets_in_universe": no_targets,
        "query_pairs_in_universe": int(T.sum()),
        "query_pairs_outside_universe": int(
            len(targets[["mirna", "gene_symbol"]].drop_duplicates()) - T.sum()
        ),
        "scopes": list(scopes),
        "theme_sets_not_tested": untested,
        "n_null": n_null,
        "seed": seed,
        "note": (
            "universe = genes that can be targets in the sources used "
            f"({universe.source}) ∩ genes of library {library.name}, matched "
            "case-insensitively; set sizes, overlaps and query sizes are counted "
            "within it; targets outside it are ignored."
        ),
    }
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    if not mirnas or not gs.names or G == 0:
        log.warning(
            "%s: nothing to test (%d miRNAs, %d sets)", library.name, len(mirnas), len(gs.names)
        )
        return EnrichmentResult(empty, meta, universe.display)

    S, K = gs.matrix, len(gs.names)
    X, nq, m, P = ora(T, S, G)
    union = sparse.csr_array((np.asarray(T.sum(axis=0)).reshape(1, -1) > 0).astype(np.float64))
    Xu, nu, _, Pu = ora(union, S, G)
    # Union statistics only for the scopes asked for (each pass over P costs at scale).
    nan_k = np.full(K, np.nan)
    stat_fisher = p_fisher = z_w = p_w = nan_k[None, :]
    if "pathways_union" in scopes:
        stat_fisher = -2.0 * np.log(np.maximum(P, 1e-300)).sum(axis=0)  # (K,)
        p_fisher = stats.chi2.sf(stat_fisher, 2 * len(mirnas))
    if "weighted" in scopes:
        counts = np.asarray(T.sum(axis=0)).ravel()
        ranks, ties = _ranks_and_ties(counts)
        z_w, p_w = mann_whitney_greater(ranks, S, ties)

    # ---- empirical null
    emp: dict[str, np.ndarray] = {}
    n_null_used: dict[str, np.ndarray | int] = {}
    null_run = n_null > 0 and background is not None
    if n_null > 0 and background is None:
        log.warning("no --background given: empirical p-values left empty")
    if null_run:
        rng = np.random.default_rng(seed)
        pool, Tp = target_matrix(background, universe)
        if len(pool) < len(mirnas):
            null_run = False
            meta["null_skipped"] = (
                f"background has {len(pool)} miRNAs with targets in the universe, fewer than "
                f"the {len(mirnas)} query miRNAs"
            )
            log.warning("%s: empirical null skipped: %s", library.name, meta["null_skipped"])
    if null_run:
        pool_counts = np.asarray(Tp.sum(axis=1)).ravel()
        edges, pool_bin, query_bin = count_bins(pool_counts, nq.astype(np.float64), n_bins)
        meta.update(
            {
                "null_pool_mirnas": len(pool),
                "null_bins": [float(e) for e in edges[1:-1]],
                "null_matching": "target-count quantile bins of the background (within universe)",
            }
        )
        pool_index = {name: i for i, name in enumerate(pool)}
        need_pool_p = "per_mirna" in scopes or "pathways_union" in scopes
        if need_pool_p:
            _, _, _, P_pool = ora(Tp, S, G)
        if "per_mirna" in scopes:
            q_in_pool = np.array([pool_index.get(mi, -1) for mi in mirnas], dtype=np.int64)
            emp["per_mirna"], n_null_used["per_mirna"] = per_mirna_empirical(
                P, query_bin, q_in_pool, P_pool, pool_bin
            )
        R = draw_null_sets(pool_bin, query_bin, n_null, rng)
        n_null_used.update(genes_union=n_null, pathways_union=n_null, weighted=n_null)
        if "genes_union" in scopes or "weighted" in scopes:
            null_counts = (R @ Tp).tocsr()  # (N, G) how many set miRNAs target each gene
        if "genes_union" in scopes:
            null_union = null_counts.copy()
            null_union.data = np.ones_like(null_union.data)
            _, _, _, P_null = ora(null_union, S, G)
            emp["genes_union"] = _empirical(P_null, Pu[0], larger_is_extreme=False)
        if "pathways_union" in scopes:
            L_pool = -2.0 * np.log(np.maximum(P_pool, 1e-300))
            stat_null = R.toarray() @ L_pool
            emp["pathways_union"] = _empirical(stat_null, stat_fisher, larger_is_extreme=True)
        if "weighted" in scopes:
            nr, nt = _ranks_and_ties(null_counts.toarray())
            z_null, _ = mann_whitney_greater(nr, S, nt)
            emp["weighted"] = _empirical(z_null, z_w[0], larger_is_extreme=True)

    # ---- assemble rows. Every scope is one row of (scope x gene set) matrices: per-miRNA
    # rows first, then the union scopes. Matrix columns are gathered once in output order;
    # per-scope and per-set columns are looked up by index, strings become categoricals.
    M = len(mirnas)
    union_scopes = [sc for sc in ("genes_union", "pathways_union", "weighted") if sc in scopes]
    rows_pm = M if "per_mirna" in scopes else 0
    mat: dict[str, list[np.ndarray]] = {c: [] for c in _MATRIX_COLUMNS}
    row_scope: list[str] = []
    row_test: list[str] = []
    row_nm: list[int] = []
    row_nq: list[int] = []
    row_nnull: list[int] = []
    orders: list[np.ndarray] = []  # per scope row: set order by p-value (stable)
    if rows_pm:
        e = emp.get("per_mirna")
        nn = n_null_used.get("per_mirna")
        mat["overlap"].append(X)
        mat["odds_ratio"].append(haldane_odds_ratio(X, G, m[None, :], nq[:, None]))
        mat["pvalue"].append(P)
        orders.append(np.argsort(P, axis=1, kind="stable"))
        mat["fdr"].append(_bh_sorted(P, orders[-1]))
        # No null: None stands for an all-NaN block (filled once, after the gather).
        mat["empirical_pvalue"].append(e)
        mat["empirical_fdr"].append(bh(e, axis=1) if e is not None else None)
        expected = np.multiply(nq[:, None], m[None, :], dtype=np.float64)  # exact integers
        expected /= G
        mat["expected"].append(expected)
        mat["genes"].append(overlap_genes(T, S, display).reshape(M, K))
        row_scope += mirnas
        row_test += ["hypergeometric"] * M
        row_nm += [1] * M
        row_nq += nq.tolist()
        row_nnull += nn.tolist() if nn is not None else [0] * M
    if union_scopes:
        union_genes = overlap_genes(union, S, display)
    per_scope = {
        "genes_union": ("hypergeometric", Pu[0], haldane_odds_ratio(Xu[0], G, m, nu[0])),
        "pathways_union": ("fisher_combined", p_fisher, nan_k),
        "weighted": ("mann_whitney", p_w[0], nan_k),
    }
    for scope in union_scopes:
        test, p, orr = per_scope[scope]
        e = emp.get(scope)
        mat["overlap"].append(Xu[0][None, :])
        mat["odds_ratio"].append(np.asarray(orr)[None, :])
        mat["pvalue"].append(p[None, :])
        orders.append(np.argsort(p[None, :], axis=1, kind="stable"))
        mat["fdr"].append(_bh_sorted(p[None, :], orders[-1]))
        mat["empirical_pvalue"].append(e[None, :] if e is not None else None)
        mat["empirical_fdr"].append(bh(e)[None, :] if e is not None else None)
        mat["expected"].append((nu[0] * m / G)[None, :])
        mat["genes"].append(union_genes[None, :])
        row_scope.append(scope)
        row_test.append(test)
        row_nm.append(M)
        row_nq.append(int(nu[0]))
        row_nnull.append(int(n_null_used.get(scope, 0)))
    if not row_scope:
        return EnrichmentResult(empty, meta, universe.display)

    # Output order: scopes by name, then p-value, then gene-set name (= column order).
    within = _stack(orders)
    scope_cats, scope_code = np.unique(np.asarray(row_scope, dtype=str), return_inverse=True)
    by_name = np.argsort(scope_code, kind="stable")
    # Row indices in int32 when they fit: these index arrays have one entry per output row.
    idx_t = np.int32 if len(row_scope) * K < 2**31 else np.int64
    r_out = np.repeat(by_name.astype(idx_t), K)
    sorted_rows = np.array_equal(by_name, np.arange(by_name.size))
    k_out = (within if sorted_rows else within[by_name]).astype(idx_t).ravel()
    flat = r_out * idx_t(K) + k_out
    union_mirnas = _mirnas_per_set(X, mirnas) if union_scopes else np.array([], dtype=object)
    # Gather the (rows x sets) matrices first and release each one once gathered: at
    # millions of rows fresh memory is a large part of the cost, and the next column
    # reuses what the last one freed.
    del within, orders, X, P, emp
    e = None
    cols: dict[str, object] = {}
    for name in list(mat):
        parts = mat.pop(name)
        if all(part is None for part in parts):
            values = np.full(flat.size, np.nan)
        else:
            rows_k = [(M if i == 0 and rows_pm else 1, K) for i in range(len(parts))]
            parts = [
                np.full(rk, np.nan) if pt is None else pt
                for pt, rk in zip(parts, rows_k, strict=True)
            ]
            values = _stack(parts).ravel()[flat]
        parts = None
        cols[name] = pd.Series(values, dtype=object, copy=False) if name == "genes" else values

    def small(codes: np.ndarray, categories) -> np.ndarray:
        # The code dtype pandas would pick, so the (rows,) codes are allocated once.
        n = len(categories)
        return np.asarray(codes, dtype=np.int8 if n < 2**7 else np.int16 if n < 2**15 else np.int32)

    def cat(codes: np.ndarray, categories) -> pd.Categorical:
        return pd.Categorical.from_codes(
            codes, pd.Index(np.asarray(categories, dtype=object), dtype=object), validate=False
        )

    theme_cats, theme_code = np.unique(
        np.asarray([theme_of.get(n, "") for n in gs.names], dtype=str), return_inverse=True
    )
    test_cats, test_code = np.unique(np.asarray(row_test, dtype=str), return_inverse=True)
    # miRNAs column: the miRNA itself for per-miRNA rows, contributing miRNAs for unions.
    mirna_cats, mirna_inv = np.unique(
        np.concatenate([np.asarray(mirnas, dtype=str), union_mirnas.astype(str)]),
        return_inverse=True,
    )
    mirna_inv = small(mirna_inv, mirna_cats)
    row_mirna = np.zeros(len(row_scope), dtype=mirna_inv.dtype)
    row_mirna[:rows_pm] = mirna_inv[:rows_pm]
    mirna_code = row_mirna[r_out]
    if union_scopes:
        is_union = r_out >= rows_pm
        mirna_code[is_union] = mirna_inv[M + k_out[is_union]]
    cols |= {
        "scope": cat(small(scope_code, scope_cats)[r_out], scope_cats),
        "gene_set": cat(small(np.arange(K), gs.names)[k_out], gs.names),
        "theme": cat(small(theme_code, theme_cats)[k_out], theme_cats),
        "set_size": m[k_out],
        "universe_size": np.full(flat.size, G, dtype=np.int64),
        "library": cat(np.zeros(flat.size, dtype=np.int8), [library.name]),
        "test": cat(small(test_code, test_cats)[r_out], test_cats),
        "n_mirnas": np.asarray(row_nm, dtype=np.int64)[r_out],
        "n_query": np.asarray(row_nq, dtype=np.int64)[r_out],
        "n_null": np.asarray(row_nnull, dtype=np.int64)[r_out],
        "mirnas": cat(mirna_code, mirna_cats),
    }
    table = pd.DataFrame({c: cols[c] for c in COLUMNS}, copy=False)
    return EnrichmentResult(table, meta, universe.display)


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.vstack(parts)


_MATRIX_COLUMNS = (
    "overlap",
    "odds_ratio",
    "pvalue",
    "fdr",
    "empirical_pvalue",
    "empirical_fdr",
    "expected",
    "genes",
)


def _mirnas_per_set(X: np.ndarray, mirnas: list[str]) -> np.ndarray:
    names = np.asarray(mirnas, dtype=object)
    return np.asarray([";".join(names[X[:, k] > 0]) for k in range(X.shape[1])], dtype=object)


# ---------------------------------------------------------------- I/O + CLI


def read_pairs(path: str | Path) -> pd.DataFrame:
    """A (mirna, gene_symbol) table from TSV or Parquet."""
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"target table not found: {path}")
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = read_tsv(path)
    missing = {"mirna", "gene_symbol"} - set(df.columns)
    if missing:
        raise MirlensError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return df[["mirna", "gene_symbol"]].astype(str)


def read_gene_list(path: str | Path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"universe file not found: {path}")
    genes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        tok = line.split("\t")[0].strip()
        if tok and not tok.startswith("#"):
            genes.append(tok)
    return genes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--targets", required=True, help="TSV with columns mirna, gene_symbol")
    parser.add_argument("--gmt", required=True, help="gene-set library (normalised GMT)")
    parser.add_argument("--out", required=True, help="enrichment TSV to write")
    parser.add_argument(
        "--universe", help="gene list (one symbol per line); universe = it ∩ library"
    )
    parser.add_argument(
        "--background", help="all miRNAs' targets (.parquet or .tsv): null pool, default universe"
    )
    parser.add_argument("--null", type=int, default=1000, help="random miRNA sets (0: none)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random sets")
    parser.add_argument("--themes", help="THEMES.json to label (and check) theme gene sets")
    parser.add_argument("--library", help="library name (default: the GMT file name stem)")
    parser.add_argument("--min-size", type=int, default=5, help="smallest set size in universe")
    parser.add_argument("--max-size", type=int, default=2000, help="largest set size in universe")
    parser.add_argument("--bins", type=int, default=10, help="target-count bins for matching")
    parser.add_argument(
        "--scopes", default=",".join(SCOPES), help=f"comma-separated subset of {','.join(SCOPES)}"
    )
    parser.add_argument(
        "--meta", help="JSON with universe/null details (default: OUT with .meta.json)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="accepted for the rule; BLAS threads follow OMP_NUM_THREADS / OPENBLAS_NUM_THREADS, "
        "which Snakemake sets from threads:",
    )


def run(args: argparse.Namespace) -> int:
    if args.null < 0:
        raise MirlensError("--null must be >= 0")
    if args.min_size < 1 or args.max_size < args.min_size:
        raise MirlensError("need 1 <= --min-size <= --max-size")
    library = read_gmt(args.gmt, name=args.library)
    themes = None
    if args.themes:
        themes = load_themes(args.themes)
        check_themes(themes, library.name, library.sets)
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    result = enrich(
        read_pairs(args.targets),
        library,
        background=read_pairs(args.background) if args.background else None,
        universe_genes=read_gene_list(args.universe) if args.universe else None,
        scopes=scopes,
        n_null=args.null,
        seed=args.seed,
        min_size=args.min_size,
        max_size=args.max_size,
        n_bins=args.bins,
        themes=themes,
    )
    write_tsv(result.table, args.out)
    meta_path = Path(args.meta) if args.meta else Path(args.out).with_suffix(".meta.json")
    with atomic_open(meta_path) as fh:
        json.dump(result.meta, fh, indent=2, sort_keys=True, ensure_ascii=False)
        fh.write("\n")
    log.info(
        "%s: %d rows, universe %d genes, %d sets tested -> %s",
        library.name,
        len(result.table),
        result.meta["universe_size"],
        result.meta["sets_tested"],
        args.out,
    )
    return 0
