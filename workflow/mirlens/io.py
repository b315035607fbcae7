"""Deterministic table and file I/O shared by every stage.

Every result table is UTF-8 TSV with a header, LF line ends, rows sorted by the caller,
lists joined by ';' and floats written with a fixed format, so that the same inputs give
byte-identical files. Files are written to a temporary name and renamed, so a failed step
never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from mirlens.errors import MirlensError

if TYPE_CHECKING:  # pandas is imported lazily: the Snakefile imports this module's users
    import pandas as pd

LIST_SEP = ";"
FLOAT_FORMAT = "%.6g"


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike, mode: str = "w", **kwargs: Any
) -> Iterator[TextIO | BinaryIO]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "\n")
    try:
        with open(tmp, mode, **kwargs) as fh:
            hold_part(fh)
            yield fh
        make_readable(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def hold_part(fh: Any) -> None:
    """Lock an open temporary file: a lock that is gone marks a stale one (its writer died)."""
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def clean_stale_parts(folder: str | os.PathLike, pattern: str = ".*.part") -> list[Path]:
    """Delete temporary ``.*.part`` files below ``folder`` whose writer is gone (kill -9).

    A live writer holds a lock on its file (``hold_part``); the kernel drops it when the
    process dies, so a file we can lock is a leftover, whatever host or run wrote it.
    """
    removed = []
    root = Path(folder)
    if not root.is_dir():
        return removed
    for part in root.rglob(pattern):
        try:
            with open(part, "rb") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                part.unlink()
                removed.append(part)
        except (BlockingIOError, FileNotFoundError, IsADirectoryError, PermissionError):
            continue
    return removed


def make_readable(path: str | os.PathLike) -> None:
    """Give a temporary file the permissions a normal open() would (mkstemp makes it 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def join_list(values: Iterable[Any]) -> str:
    """Join list values with ';' (the table contract for list columns)."""
    return LIST_SEP.join(str(v) for v in values)


def join_by(df: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """``df.groupby(keys)[column].agg(";".join)`` (groups sorted, values in frame order) in
    one pass: pandas calls a Python function per group, seconds for 20,000 groups."""
    import numpy as np
    import pandas as pd

    grouped = df.groupby(keys, sort=True)
    codes = grouped.ngroup().fillna(-1).to_numpy().astype("int64")
    kept = codes >= 0  # rows with a missing key belong to no group, as in groupby
    order = np.argsort(codes[kept], kind="stable")
    values = df[column].to_numpy()[kept][order].tolist()
    ends = np.cumsum(np.bincount(codes[kept], minlength=grouped.ngroups)).tolist()
    starts = [0, *ends[:-1]] if ends else []
    joined = [LIST_SEP.join(values[a:b]) for a, b in zip(starts, ends, strict=True)]
    return pd.Series(joined, index=grouped.size().index, name=column, dtype=object)


def split_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return []
    return str(value).split(LIST_SEP)


# A cell's tab, newline, carriage return and backslash are written as \\t \\n \\r \\\\ (the
# escaping of PostgreSQL's text format and of Snakemake/pandas readers given the rule
# below): one table row is always one physical line, no cell is ever CSV-quoted.
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {v: k for k, v in _ESCAPES.items()}
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_ESCAPED = re.compile(r"\\[\\tnr]")
_NEEDLES = {_NEEDS_ESCAPE: ("\\", "\t", "\n", "\r"), _ESCAPED: ("\\",)}  # in every match


def escape_cell(value: str) -> str:
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], value)


def unescape_cell(value: str) -> str:
    return _ESCAPED.sub(lambda m: _UNESCAPES[m.group(0)], value)


def _map_text(df: pd.DataFrame, func: Any, pattern: re.Pattern) -> pd.DataFrame:
    """Apply ``func`` to the string cells of text columns that need it (cheap otherwise)."""
    out = None
    for col in df.columns:
        if df[col].dtype.kind in "biufcmM":  # numbers, booleans, dates: nothing to escape
            continue
        values = df[col]
        try:  # vectorised; a column of non-strings has no .str
            if not any(values.str.contains(c, regex=False).any() for c in _NEEDLES[pattern]):
                continue  # literal searches: far faster than the pattern on most columns
            hit = values.str.contains(pattern, na=False).astype(bool)
        except AttributeError:
            hit = values.map(lambda v: isinstance(v, str) and pattern.search(v) is not None)
        if hit.any():
            out = df.copy() if out is None else out
            out.loc[hit, col] = values[hit].map(func)
    return df if out is None else out


def _cells(values: pd.Series, float_format: str) -> list[str]:
    """One column as the text pandas' ``to_csv`` writes (missing: empty; floats through
    ``float_format``; booleans True/False), built in one pass per column."""
    missing = values.isna().to_numpy()
    if values.dtype.kind == "f":
        cells = [float_format % v for v in values.to_numpy()]
    else:
        cells = [str(v) for v in values.to_numpy(dtype=object)]
    if missing.any():
        for i in missing.nonzero()[0]:
            cells[i] = ""
    return cells


def write_tsv(df: pd.DataFrame, path: str | os.PathLike, float_format: str = FLOAT_FORMAT) -> None:
    """Write ``df`` as a deterministic TSV (rows in the order given), atomically.

    Cells are escaped (see ``escape_cell``), never quoted: a row is one line. The text is
    the one ``DataFrame.to_csv`` writes, joined directly: 5-10x faster on wide tables.
    """
    text = _rows_text(df, float_format)
    if _may_need_escapes(text, df.shape):  # rare: only then is every text cell searched
        text = _rows_text(_map_text(df, escape_cell, _NEEDS_ESCAPE), float_format)
    with atomic_open(path) as fh:
        fh.write("\t".join(map(str, df.columns)) + "\n")
        fh.write(text)


def _rows_text(df: pd.DataFrame, float_format: str) -> str:
    columns = [_cells(df.iloc[:, i], float_format) for i in range(df.shape[1])]
    return "".join("\t".join(row) + "\n" for row in zip(*columns, strict=True))


def _may_need_escapes(text: str, shape: tuple[int, int]) -> bool:
    """False when no cell holds a tab, newline, CR or backslash: tabs and newlines counted,
    the rest searched, over the whole text in C (searching every column costs more)."""
    rows, cols = shape
    return (
        text.count("\t") != rows * (cols - 1)
        or text.count("\n") != rows
        or "\\" in text
        or "\r" in text
    )


def write_text_rows(
    rows: Sequence[Sequence[str]], columns: Sequence[str], path: str | os.PathLike
) -> None:
    """Rows of text cells (one per column each) as the TSV ``write_tsv`` writes for a table
    of strings, without pandas (whose import alone costs a small stage about a second)."""
    text = "".join("\t".join(row) + "\n" for row in rows)
    if _may_need_escapes(text, (len(rows), len(columns))):
        text = "".join("\t".join(map(escape_cell, row)) + "\n" for row in rows)
    with atomic_open(path) as fh:
        fh.write("\t".join(columns) + "\n")
        fh.write(text)


def read_tsv(path: str | os.PathLike, **kwargs: Any) -> pd.DataFrame:
    """Read a result TSV keeping identifiers as strings (no 'NA' guessing), unescaped."""
    import csv

    import pandas as pd

    if set(kwargs) <= {"usecols"}:
        df = _read_tsv_arrow(path, kwargs.get("usecols"))
        if df is not None:
            return _map_text(df, unescape_cell, _ESCAPED)
    kwargs.setdefault("dtype", str)
    kwargs.setdefault("keep_default_na", False)
    kwargs.setdefault("quoting", csv.QUOTE_NONE)
    df = pd.read_csv(path, sep="\t", **kwargs)
    if kwargs.get("chunksize") or kwargs.get("iterator"):
        return (_map_text(chunk, unescape_cell, _ESCAPED) for chunk in df)
    return _map_text(df, unescape_cell, _ESCAPED)


_COMPRESSED = {".gz", ".bz2", ".zip", ".xz", ".zst"}


def _read_tsv_arrow(path: Any, usecols: Any) -> pd.DataFrame | None:
    """``read_tsv`` by pyarrow's parser (several times faster on wide tables), or None
    where pandas' reading may differ: then pandas reads it (and names any error)."""
    import pyarrow as pa
    import pyarrow.csv as pv

    if not isinstance(path, str | os.PathLike) or Path(path).suffix in _COMPRESSED:
        return None
    try:
        with open(path, encoding="utf-8", newline="\n") as fh:
            header = fh.readline().rstrip("\n").split("\t")
    except (OSError, UnicodeDecodeError):
        return None
    if callable(usecols):
        columns = [c for c in header if usecols(c)]
    else:
        wanted = header if usecols is None else list(usecols)
        columns = [c for c in header if c in set(wanted)]
        if len(columns) != len(set(wanted)):  # a missing column: pandas says which
            return None
    if not columns or len(set(header)) != len(header) or any("\r" in c for c in header):
        return None
    strings = {c: pa.string() for c in columns}
    try:
        table = pv.read_csv(
            path,
            read_options=pv.ReadOptions(block_size=1 << 24),
            parse_options=pv.ParseOptions(delimiter="\t", quote_char=False),
            convert_options=pv.ConvertOptions(
                include_columns=columns, column_types=strings, strings_can_be_null=False
            ),
        )
    except (pa.ArrowException, OSError):  # ragged rows, bad UTF-8, ...
        return None
    return table.to_pandas()


def read_parquets(
    paths: Iterable[str | os.PathLike], columns: list[str] | None = None, what: str = "file"
) -> Any:
    """Several Parquet files as one Arrow table, in file order. Each file is read by
    pyarrow's file reader (about 1 ms for a per-shard summary; the dataset layer behind
    ``read_table`` takes several), and the tables are joined once: a column a file lacks, or
    holds only nulls in, is filled with nulls of the other files' type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for path in paths:
        if not os.path.isfile(path):
            raise MirlensError(f"{what} not found: {path}")
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        tables.append(pf.read(columns=[c for c in columns if c in names] if columns else None))
    if not tables:
        return pa.table({c: pa.array([], pa.string()) for c in columns or []})
    return pa.concat_tables(tables, promote_options="permissive")


def read_columns(paths: Iterable[str | os.PathLike], columns: list[str]) -> pd.DataFrame:
    """``columns`` of several Parquet or TSV files as one text table, in file order; only
    these columns are read, a column a file lacks comes back empty."""
    import pandas as pd

    paths = list(paths)
    if paths and all(str(p).endswith(".parquet") for p in paths):
        frame = read_parquets(paths, columns).to_pandas(ignore_metadata=True).fillna("")
    else:
        parts = []
        for path in paths:
            if str(path).endswith(".parquet"):
                parts.append(read_columns([path], columns))
            else:
                parts.append(read_tsv(path, usecols=lambda c: c in columns))
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return frame.reindex(columns=columns, fill_value="")


def write_parquet(data: Any, path: str | os.PathLike) -> None:
    """A DataFrame (no index) or an Arrow table as a deterministic zstd Parquet file,
    written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    with atomic_open(path, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")


def write_jsonl(records: Iterable[dict], path: str | os.PathLike) -> int:
    n = 0
    with atomic_open(path) as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
            n += 1
    return n


def read_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def named_paths(values: Iterable[str] | None, flag: str) -> dict[str, Path]:
    """``NAME=PATH`` command-line values (one per gene-set library) as a mapping."""
    out: dict[str, Path] = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise MirlensError(f"{flag} expects LIBRARY=PATH, got {value!r}")
        out[name] = Path(path)
    return out


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
