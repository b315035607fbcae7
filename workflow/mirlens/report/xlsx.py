"""Every report table as one XLSX workbook (a sheet per table), byte-identical on rerun.

openpyxl stamps the save time into docProps/core.xml and the zip entries, so the file is
rewritten afterwards with a fixed date. Text never becomes a formula (a sentence starting
with '=' stays text), and characters XML cannot hold are dropped.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from mirlens.io import atomic_open

log = logging.getLogger(__name__)

FIXED_DATE = "2000-01-01T00:00:00Z"
ZIP_DATE = (2000, 1, 1, 0, 0, 0)
MAX_CELL = 32767  # Excel's limit per cell
MAX_ROWS = 1_048_575  # Excel's rows per sheet, minus the header
NUMERIC = {
    "start",
    "end",
    "n_documents",
    "n_mentions",
    "n_sources",
    "set_size",
    "overlap",
    "universe_size",
    "odds_ratio",
    "pvalue",
    "fdr",
    "empirical_pvalue",
    "empirical_fdr",
    "n_chars",
    "score",
    "value",
}


def sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    out, i = base, 2
    while out.lower() in used:
        suffix = f"_{i}"
        out, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(out.lower())
    return out


def _column(series: pd.Series, numeric: bool) -> list[Any]:
    """Cell values of one column: numbers where the whole column is numeric, clean text."""
    if numeric:
        text = series.astype(str).str.strip()
        filled = ~series.isna() & (text != "")
        nums = pd.to_numeric(series.where(filled), errors="coerce")
        if (nums.notna() == filled).all():  # every non-empty value is a number
            ints = nums.dropna()
            as_int = bool(len(ints)) and (ints == ints.round()).all() and ints.abs().max() < 2**53
            return [None if v != v else (int(v) if as_int else float(v)) for v in nums]
    out = []
    for v in series.tolist():
        if v is None or (isinstance(v, float) and v != v):
            out.append(None)
        elif isinstance(v, str):
            out.append(ILLEGAL_CHARACTERS_RE.sub("", v)[:MAX_CELL] if v else None)
        elif isinstance(v, (list, tuple)):
            out.append(";".join(str(x) for x in v)[:MAX_CELL])
        else:
            out.append(v)
    return out


def _sheet(wb: Workbook, name: str, df: pd.DataFrame) -> int:
    """Write one table; returns how many rows did not fit Excel's sheet limit."""
    ws = wb.create_sheet(name)
    cut = max(0, len(df) - MAX_ROWS)
    df = df.iloc[:MAX_ROWS]
    bold = Font(bold=True)
    header = []
    for col in df.columns:
        cell = WriteOnlyCell(ws, value=str(col))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    columns = [_column(df.iloc[:, i], str(c) in NUMERIC) for i, c in enumerate(df.columns)]
    for row in zip(*columns, strict=True):
        if any(isinstance(v, str) and v[:1] == "=" for v in row):
            row = [_text_cell(ws, v) if isinstance(v, str) and v[:1] == "=" else v for v in row]
        ws.append(row)
    return cut


def _text_cell(ws, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # text that looks like a formula stays text
    return cell


def _normalise_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + FIXED_DATE.encode(),
                    content,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, content)
    return out.getvalue()


def report_tables(res, enr: pd.DataFrame, ctx: dict) -> list[tuple[str, pd.DataFrame]]:
    """(sheet, table) pairs in workbook order."""
    summary = pd.DataFrame(
        [
            ("documents", len(res.documents)),
            ("documents ok", ctx["documents"]["n_ok"]),
            ("documents skipped", ctx["documents"]["n_skipped"]),
            ("documents naming a miRNA", ctx["documents"]["n_with_mirna"]),
            ("mentions", ctx["n_mentions"]),
            ("miRNAs", ctx["n_mirnas"]),
            ("consensus target pairs", len(res.consensus)),
            ("statistic used for findings", ctx["stat"]),
            ("finding threshold", ctx["alpha"]),
        ]
        + [(f"target pairs: {r['source']}", r["n"]) for r in ctx["targets"]["rows"]]
        + [("note", n) for n in ctx["notes"]],
        columns=["item", "value"],
    )
    findings = pd.DataFrame(
        [
            (
                f["scope"],
                ";".join(f["themes"]),
                f["library"],
                f["gene_set"],
                f["stat"],
                f["overlap"],
                f["set_size"],
                ";".join(f["genes"]),
            )
            for f in ctx["findings"]
        ],
        columns=[
            "scope",
            "themes",
            "library",
            "gene_set",
            ctx["stat"],
            "overlap",
            "set_size",
            "genes",
        ],
    )
    matrix = pd.DataFrame(
        [
            {
                "scope": r["scope"],
                **{
                    t: (c["value"] if c else None)
                    for t, c in zip(ctx["themes"], r["cells"], strict=True)
                },
            }
            for r in ctx["matrix"]["rows"]
        ],
        columns=["scope", *ctx["themes"]],
    )
    enr_cols = [c for c in enr.columns if c not in ("stat", "themes", "row_id")]
    tables = [
        ("summary", summary),
        ("findings", findings),
        ("theme_matrix", matrix),
        ("documents", res.documents),
        ("mentions", res.mentions),
        ("mirnas", res.mirnas),
        ("unresolved", res.unresolved),
    ]
    tables += [(f"targets_{s}", t) for s, t in sorted(res.targets.items())]
    tables.append(("consensus", res.consensus))
    for lib, df in sorted(enr.groupby("library", sort=False), key=lambda x: x[0]):
        tables.append((f"enrich_{lib}", df[enr_cols]))
    if enr.empty:
        tables.append(("enrichment", enr[enr_cols]))
    prov = ctx["provenance"]
    tables.append(("sources", pd.DataFrame(prov["sources"])))
    tables.append(("software", pd.DataFrame(prov["software"], columns=["package", "version"])))
    tables.append(("config", pd.DataFrame(prov["config"], columns=["key", "value"])))
    stats = [(s, k, v) for s, rows in prov["stats"].items() for k, v in rows]
    tables.append(("target_stats", pd.DataFrame(stats, columns=["source", "key", "value"])))
    return tables


def write_workbook(res, enr: pd.DataFrame, ctx: dict, path: Path) -> None:
    wb = Workbook(write_only=True)
    used: set[str] = set()
    for name, df in report_tables(res, enr, ctx):
        cut = _sheet(wb, sheet_name(name, used), df)
        if cut:
            log.warning("sheet %s: %d rows beyond Excel's limit left out", name, cut)
    buf = io.BytesIO()
    wb.save(buf)
    with atomic_open(path, "wb") as fh:
        fh.write(_normalise_zip(buf.getvalue()))
