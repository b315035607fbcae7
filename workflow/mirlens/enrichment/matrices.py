"""Universe, gene-set and target matrices: genes as integer columns, sets and miRNAs as rows.

Universe: genes that can be targets (``--universe`` list, else the background's genes,
else the query's genes) ∩ the library's genes, compared case-insensitively. Gene sets and
targets are cut down to the universe; a set is tested when its size within the universe
lies in [min_size, max_size].
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import sparse

from mirlens.errors import MirlensError
from mirlens.genesets import Library
from mirlens.io import read_tsv


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


def memberships(library: Library) -> pd.DataFrame:
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
    members = (memberships(library) if members is None else members).drop_duplicates("key")
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
    if members is None:  # ``memberships(library)``, passed in when already built
        members = memberships(library)
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


def overlap_genes(
    T: sparse.csr_array,
    S: sparse.csc_array,
    display: np.ndarray,
    cells: np.ndarray | None = None,
) -> np.ndarray:
    """(R*K,) object array: for row r of T and set k, the ';'-joined genes in both; with
    ``cells`` (flat indices r*K+k), only those cells, in their order.

    Vectorised over every (row, gene, set) triple: each target gene of a row is repeated
    once per set that holds it, triples are sorted by (row, set, gene) and the names
    concatenated per (row, set) group with ``np.add.reduceat``.
    """
    R, K = T.shape[0], S.shape[1]
    display = np.asarray(display, dtype=object)
    out = np.full(R * K if cells is None else len(cells), "", dtype=object)
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
    if cells is not None:  # a run writes a few thousand of millions of cells (GO)
        keep = np.isin(key, cells)
        key, gene_rep = key[keep], gene_rep[keep]
        if key.size == 0:
            return out
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
    joined = np.add.reduceat(labels, starts)
    if cells is None:
        out[key[starts]] = joined
    else:
        at = np.searchsorted(key[starts], cells)
        hit = (at < starts.size) & (key[starts][np.minimum(at, starts.size - 1)] == cells)
        out[hit] = joined[at[hit]]
    return out


def read_pairs(path: str | Path) -> pd.DataFrame:
    """A (mirna, gene_symbol[, mirbase_id]) table from TSV or Parquet (other columns unread)."""
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"target table not found: {path}")
    wanted = ["mirna", "gene_symbol", "mirbase_id"]
    if path.suffix == ".parquet":
        have = pq.read_schema(path).names
        df = pd.read_parquet(path, columns=[c for c in wanted if c in have])
    else:
        df = read_tsv(path, usecols=lambda c: c in wanted)
    missing = {"mirna", "gene_symbol"} - set(df.columns)
    if missing:
        raise MirlensError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return df[[c for c in wanted if c in df.columns]].astype(str)


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


def query_sizes(T: sparse.csr_array) -> np.ndarray:
    return np.asarray(T.sum(axis=1)).ravel().astype(np.int64)


def overlaps(T: sparse.csr_array, S: sparse.csc_array) -> np.ndarray:
    """(R, K) overlap counts (exact in float64)."""
    return (T @ S).astype(np.int64).toarray()
