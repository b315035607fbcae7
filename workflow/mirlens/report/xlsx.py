"""`mirlens tables`: the report's summary tables as one XLSX workbook, streamed by xlsxwriter.

A job of its own, beside the HTML report (not after it in the same job), reading the same
summaries with the same loader.

Only summaries go here (the evidence table, the per-miRNA findings, the targets of the
reported miRNAs, the set-level answers): the full tables stay TSV/Parquet under results/,
and the first sheet says where. ``constant_memory`` writes row by row, so memory and time
grow with the rows written, not with the workbook. Text never becomes a formula or a link,
and the creation date is fixed so reruns are byte-identical.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd
import xlsxwriter

from mirlens.io import atomic_open
from mirlens.report import data
from mirlens.report.build import evidence_by_theme, provenance_section, rank_rule
from mirlens.report.data import MAX_EXPLORATORY
from mirlens.report.fmt import precursor
from mirlens.report.load import add_input_arguments, load_results
from mirlens.report.targets import read_top_targets, top_targets

# what the workbook shows (documents.tsv, config and provenance are always read)
PARTS = frozenset({"mirnas", "consensus", "evidence", "enrichment", "set_level"})

MAX_CELL = 32767  # Excel's limit per cell
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FIXED_DATE = dt.datetime(2000, 1, 1)


def _cell(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return ILLEGAL.sub("", value)[:MAX_CELL] or None
    if isinstance(value, (list, tuple)):
        return ";".join(str(x) for x in value)[:MAX_CELL] or None
    return value


def _sheet(wb: xlsxwriter.Workbook, name: str, df: pd.DataFrame, bold) -> None:
    ws = wb.add_worksheet(name[:31])
    ws.write_row(0, 0, [str(c) for c in df.columns], bold)
    ws.freeze_panes(1, 0)
    columns = [df[c].astype(object).tolist() for c in df.columns]
    for i, row in enumerate(zip(*columns, strict=True), start=1):
        for j, value in enumerate(row):
            value = _cell(value)
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(i, j, value)
            else:
                ws.write_number(i, j, value)


def findings_table(res, alpha: float) -> pd.DataFrame:
    """Per-miRNA gene-set rows at FDR <= alpha, themed first, then at most a few exploratory
    rows per miRNA (labelled so; all of them are in enrichment/<library>.tsv)."""
    enr = res.enrichment
    rows = enr[enr["fdr"] <= alpha].copy()
    rows["_h"] = rows["hypothesis"] != "themed"
    rows = rows.sort_values(["_h", "fdr", "pvalue", "scope", "gene_set"], kind="mergesort")
    rows = rows[~rows["_h"] | (rows.groupby("scope").cumcount() < MAX_EXPLORATORY)]
    cols = ["scope", "hypothesis", "theme", "library", "gene_set", "overlap", "set_size"]
    return rows[[*cols, "pvalue", "fdr", "genes"]].rename(columns={"scope": "mirna"})


def set_level_table(res, alpha: float) -> pd.DataFrame:
    """Set-level answers of the themed sets, and of other sets where their FDR passes."""
    sl = res.set_level
    return sl[(sl["hypothesis"] == "themed") | (sl["fdr"] <= alpha)]


def reported(ev: dict[str, pd.DataFrame], top: int) -> set[str]:
    """The miRNAs of the first screen (the top of every theme), with their sibling arms."""
    names = {n for df in ev.values() for n in df["mirna"].head(top)}
    groups = {precursor(n) for n in names}
    return {n for df in ev.values() for n in df["mirna"] if precursor(n) in groups} | names


def targets_table(top: pd.DataFrame, names: set[str]) -> pd.DataFrame:
    """Targets of the reported miRNAs in evidence order (``top``: :func:`targets.top_targets`)."""
    return top[top["mirna"].isin(names)]


def about_table(res, alpha: float) -> pd.DataFrame:
    ok = data.read_ok(res.documents)
    rows = [
        ("this workbook", "summary tables of the report; full tables are TSV/Parquet:"),
        *[(k, f"results/{v}") for k, v in res.files.items()],
        ("documents read", int(ok.sum())),
        ("documents skipped", int((~ok).sum())),
        ("miRNAs", len(res.mirnas)),
        ("finding threshold (themed FDR)", alpha),
        ("rank rule", rank_rule()),
    ]
    rows += [("note", n) for n in res.notes]
    rows += [
        (f"release: {s.get('key') or s.get('url')}", s.get("release", ""))
        for s in provenance_section(res)["sources"]
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def write_workbook(
    res, ev: dict[str, pd.DataFrame], top_rows: pd.DataFrame, top: int, alpha: float, path: Path
) -> None:
    evidence = pd.concat(list(ev.values()), ignore_index=True) if ev else res.evidence
    tables = [
        ("about", about_table(res, alpha)),
        ("evidence", evidence),
        ("findings", findings_table(res, alpha)),
        ("set_level", set_level_table(res, alpha)),
        ("targets_reported", targets_table(top_rows, reported(ev, top))),
    ]
    with atomic_open(path, "wb") as fh:
        wb = xlsxwriter.Workbook(
            fh,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        wb.set_properties({"created": FIXED_DATE})
        bold = wb.add_format({"bold": True})
        for name, df in tables:
            _sheet(wb, name, df, bold)
        wb.close()


def build_tables(
    results_dir: Path,
    out: Path,
    provenance: Path | None = None,
    config: Path | None = None,
    top: int = 10,
    alpha: float = 0.05,
    targets: Path | None = None,
) -> None:
    """``targets``: the TSV of `report-targets` (else made from the consensus here)."""
    parts = PARTS if targets is None else PARTS - {"consensus"}
    res = load_results(results_dir, provenance, config, parts=parts)
    if targets is None:
        top_rows = top_targets(res.consensus, data.target_order(res.consensus))
    else:
        top_rows = read_top_targets(targets)
    write_workbook(res, evidence_by_theme(res.evidence, res.config), top_rows, top, alpha, out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--out", type=Path, default=Path("results/report/tables.xlsx"))
    parser.add_argument(
        "--targets", type=Path, help="top targets TSV from `report-targets` (default: made here)"
    )


def run(args: argparse.Namespace) -> int:
    build_tables(
        args.results_dir, args.out, args.provenance, args.config, args.top, args.alpha, args.targets
    )
    return 0
