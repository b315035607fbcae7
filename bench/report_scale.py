"""The report's budgets at realistic literature sizes: size, load time, share of the run.

For each size the benchmark builds a document set from the shared corpora (real curated
abstracts, evidence sentences and titles, taken in file order so any rerun picks the same
documents), runs the workflow up to the report against the loopback mirror (timed: the
peer), then times the report step alone (``mirlens report``, a fresh process, as the rule
runs it) and opens the result in headless Chromium (time until the page is interactive: its
data block decoded and rendered; console errors; requests outside file:/data:).

Sizes: ``2k`` (~2,050 documents) and ``25k`` (~25,600 documents); ``--quick`` one of ~300.
``--reuse NAME=RUN_DIR:SECONDS`` measures an existing run folder (its ``results/``) whose
workflow took SECONDS instead of running it again. Until the evidence step lands,
``results/evidence.tsv`` may be missing; the benchmark then derives a stand-in from the
run's own tables (tests/evidence_standin.py, reported as ``"evidence": "stand-in"``).

Budgets (issue 13): index.html <= 5 MB, interactive <= 3 s, report <= 10 % of the run.
Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MIRLENS_SHARED", REPO.parent / "shared"))
CORPORA = SHARED / "data" / "corpora"
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "workflow"))

# (corpus file, how many records) per size, in this order; None = all records
SIZES = {
    "quick": [("scai_mirna.train.jsonl", None), ("mirna_mrna_bioc.train.jsonl", 100)],
    "2k": [
        ("scai_mirna.train.jsonl", None),
        ("hmdd_nonlung.doclevel.jsonl", 1150),
        ("mircancer_nonlung.titles.jsonl", 700),
    ],
    "25k": [
        ("scai_mirna.train.jsonl", None),
        ("mirna_mrna_bioc.train.jsonl", None),
        ("hmdd_nonlung.doclevel.jsonl", None),
        ("mircancer_nonlung.titles.jsonl", None),
    ],
}
BUDGET = {"html_mb": 5.0, "interactive_s": 3.0, "report_share": 0.10}


def write_documents(size: str, docs: Path) -> int:
    """The size's documents as ``{"doc_id", "text"[, "pmid", "title"]}`` JSON lines."""
    docs.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, limit in SIZES[size]:
        out = []
        with open(CORPORA / name, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if not rec.get("text"):
                    continue
                keep = {k: rec[k] for k in ("doc_id", "text", "pmid", "title") if rec.get(k)}
                out.append(json.dumps(keep, ensure_ascii=False))
                if limit is not None and len(out) >= limit:
                    break
        (docs / name).write_text("\n".join(out) + "\n", encoding="utf-8")
        n += len(out)
    return n


def start_mirror() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, str(SHARED / "mirror" / "serve.py"), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if "http://127.0.0.1:" not in line:
        proc.terminate()
        raise SystemExit(f"mirror server did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip().rstrip("/")


def run_workflow(run: Path, mirror: str, cores: int) -> float:
    """The workflow up to (not including) the report; returns its wall time."""
    (run / "config.yaml").write_text(
        f"mirror: {mirror}\nliterature:\n  paths: [docs]\n  pubmed:\n    enabled: false\n"
    )
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(run)]
    cmd += ["--configfile", str(REPO / "config/config.yaml"), str(run / "config.yaml")]
    cmd += ["--cores", str(cores), "--omit-from", "report", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    t0 = time.monotonic()
    with open(run / "workflow.log", "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, env=env)
    return time.monotonic() - t0


def report_inputs(results: Path, work: Path) -> tuple[Path, str]:
    """The results folder to report on, and whether its evidence table is real."""
    if (results / "evidence.tsv").is_file():
        return results, "workflow"
    import evidence_standin

    return evidence_standin.build(results, work / "standin-results"), "stand-in"


def time_report(results: Path, out: Path) -> float:
    """Seconds of the report and workbook commands, one after the other (the workflow runs
    them side by side)."""
    mirlens = [sys.executable, "-m", "mirlens"]
    report = [*mirlens, "report", "--results-dir", str(results), "--out", str(out / "index.html")]
    report += ["--plots-dir", str(out / "plots")]
    tables = [*mirlens, "tables", "--results-dir", str(results)]
    tables += ["--out", str(out / "tables.xlsx")]
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    t0 = time.monotonic()
    for cmd in (report, tables):
        subprocess.run(cmd, check=True, env=env)
    return time.monotonic() - t0


def measure(name: str, run: Path, run_s: float, work: Path, chromium: str | None) -> dict:
    results, evidence = report_inputs(run / "results", work)
    out = work / "report"
    report_s = time_report(results, out)
    html = out / "index.html"
    row = {
        "run_s": round(run_s, 1),
        "report_s": round(report_s, 2),
        "report_share": round(report_s / (run_s + report_s), 4),
        "html_mb": round(html.stat().st_size / 1e6, 3),
        "xlsx_mb": round((out / "tables.xlsx").stat().st_size / 1e6, 3),
        "n_documents": sum(1 for _ in open(results / "literature/documents.tsv")) - 1,
        "n_mirnas": sum(1 for _ in open(results / "mirnas.tsv")) - 1,
        "evidence": evidence,
    }
    if chromium:
        from cdp import probe_report

        facts = probe_report(chromium, html, work / "profile", work / f"shot-{name}")
        leaving = [u for u in facts["requests"] if not u.startswith(("file:", "data:"))]
        row.update(
            load_s=round(facts["load_s"], 2),
            interactive_s=round(facts["interactive_s"], 2),
            console_errors=len(facts["errors"]),
            requests_outside=len(leaving),
            first_screen_rows=sum(len(p["rows"]) for p in facts["panels"]),
        )
    row["within_budget"] = (
        row["html_mb"] <= BUDGET["html_mb"]
        and row["report_share"] <= BUDGET["report_share"]
        and row.get("interactive_s", 0) <= BUDGET["interactive_s"]
        and not row.get("console_errors")
        and not row.get("requests_outside")
    )
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="one small size (~300 documents)")
    ap.add_argument("--sizes", nargs="+", choices=sorted(SIZES), help="sizes to run")
    ap.add_argument("--reuse", nargs="*", default=[], help="NAME=RUN_DIR:SECONDS")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/mirlens-report-scale"))
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    from cdp import find_chromium

    chromium = find_chromium(install=False)
    reuse = {}
    for item in args.reuse:
        name, rest = item.split("=", 1)
        path, seconds = rest.rsplit(":", 1)
        reuse[name] = (Path(path), float(seconds))
    default = [] if reuse else ["2k", "25k"]
    sizes = args.sizes or (["quick"] if args.quick else default)
    sizes = [s for s in sizes if s not in reuse] + list(reuse)
    out: dict = {"budget": BUDGET, "chromium": bool(chromium), "sizes": {}}
    mirror = None
    try:
        for name in sizes:
            work = args.workdir / name
            if name in reuse:
                run, run_s = reuse[name]
            else:
                if mirror is None:
                    mirror = start_mirror()
                run = work / "run"
                write_documents(name, run / "docs")
                run_s = run_workflow(run, mirror[1], args.cores)
            out["sizes"][name] = measure(name, run, run_s, work, chromium)
            print(json.dumps({name: out["sizes"][name]}), file=sys.stderr)
    finally:
        if mirror is not None:
            mirror[0].terminate()
            mirror[0].wait(timeout=10)
    out["within_budget"] = all(r["within_budget"] for r in out["sizes"].values())
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
