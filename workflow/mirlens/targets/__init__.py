"""Target databases (TargetScan, miRDB, miRTarBase, ENCORI) in one miRNA and gene space.

One module per source parses a release into a harmonised table (``store``), ``select``
applies per-run thresholds and ``consensus`` combines the sources. Shared reading helpers
live here so each source module stays about its own format.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from mirlens.errors import MirlensError
from mirlens.io import atomic_open

PathLike = str | os.PathLike
log = logging.getLogger(__name__)

# Columns every harmonised table starts with (store, select outputs, consensus).
KEY_COLUMNS = ["mirbase_id", "mirna", "gene_symbol", "entrez_id"]
PREDICTED_SOURCES = ("targetscan", "mirdb")
# literature: pairs the run's own documents claim (mirlens claims), read as validated
VALIDATED_SOURCES = ("mirtarbase", "encori", "literature")


def norm_col(name: str) -> str:
    """'Target Gene (Entrez ID)' -> 'target_gene_entrez_id'; header variants compare equal."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def read_delimited(
    path: PathLike,
    delimiter: str = "\t",
    column_names: list[str] | None = None,
    column_types: dict[str, pa.DataType] | None = None,
    include_columns: list[str] | None = None,
    quote: bool = False,
) -> pa.Table:
    """Read a TSV/CSV (plain, .gz or single-member .zip) with pyarrow, strings dictionary-encoded.

    Dictionary encoding keeps millions of repeated miRNA/gene names small in memory.
    """
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"input file not found: {path}")
    # Release files take minutes to read: say what is read, then how many rows it held.
    log.info("reading %s (%.1f MB on disk)", path.name, path.stat().st_size / 1e6)
    t0 = time.perf_counter()
    tab = _read_csv(path, column_names, column_types, include_columns, delimiter, quote)
    log.info("%s: %d rows read (%.1f s)", path.name, tab.num_rows, time.perf_counter() - t0)
    return tab


def _read_csv(path, column_names, column_types, include_columns, delimiter, quote) -> pa.Table:
    read_opts = pacsv.ReadOptions(column_names=column_names, block_size=1 << 24)
    parse_opts = pacsv.ParseOptions(
        delimiter=delimiter, quote_char='"' if quote else False, newlines_in_values=False
    )
    conv = pacsv.ConvertOptions(
        column_types=column_types or {},
        include_columns=include_columns or [],
        null_values=["", "NULL", "NA", "N/A"],
        strings_can_be_null=False,
        auto_dict_encode=True,
        auto_dict_max_cardinality=1 << 20,
    )
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                members = [m for m in zf.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise MirlensError(f"{path}: expected one file in the zip, found {members}")
                with zf.open(members[0]) as fh:
                    return pacsv.read_csv(fh, read_opts, parse_opts, conv)
        return pacsv.read_csv(path, read_opts, parse_opts, conv)
    except (pa.ArrowInvalid, KeyError) as exc:
        raise MirlensError(f"{path}: cannot parse as delimited text ({exc})") from None


def header_of(path: PathLike, delimiter: str = "\t") -> list[str]:
    """First line of a plain/.gz/.zip text file, split."""
    import gzip

    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf, zf.open(zf.namelist()[0]) as fh:
            line = fh.readline()
    else:
        with open(path, "rb") as raw:
            magic = raw.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            line = fh.readline()
    text = line.decode("utf-8-sig").rstrip("\r\n")
    return next(csv.reader([text], delimiter=delimiter)) if text else []


def write_json(obj: dict, path: PathLike) -> None:
    with atomic_open(path) as fh:
        fh.write(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def join_groups(
    group: np.ndarray, values: pd.Series, n_groups: int, numeric: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values per integer group id, joined by ';' -> (strings, counts).

    Vectorised through an Arrow list array and ``binary_join``: a per-group Python join is
    what makes million-row collapses slow. Empty strings are dropped; groups without
    values get ''. ``numeric`` sorts values as numbers (PMIDs), else as text.
    """
    d = pd.DataFrame({"g": np.asarray(group, dtype=np.int64), "v": values.astype(str).to_numpy()})
    d = d[d["v"] != ""].drop_duplicates()
    if numeric:
        key = pd.to_numeric(d["v"], errors="coerce").fillna(np.inf).to_numpy()
        order = np.lexsort((key, d["g"].to_numpy()))
    else:
        codes = pd.Categorical(d["v"]).codes  # categories are sorted, so codes keep text order
        order = np.lexsort((codes, d["g"].to_numpy()))
    g = d["g"].to_numpy()[order]
    v = d["v"].to_numpy()[order]
    counts = np.bincount(g, minlength=n_groups)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(v, type=pa.large_string()))
    sep = pa.scalar(";", type=pa.large_string())
    joined = pc.binary_join(lists, sep).to_numpy(zero_copy_only=False)
    return np.asarray(joined, dtype=object), counts
