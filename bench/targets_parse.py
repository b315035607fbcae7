"""Benchmark: parsing full-size target releases and selecting a run's miRNAs from the store.

Generates files in the releases' formats at real scale into a temporary folder (never the
repo): TargetScan context scores (2 M site rows, zipped) + summary counts + family info,
miRDB (3.4 M rows, all species, gzipped), miRTarBase (1 M evidence rows, CSV). miRNA names
and genes come from the real miRBase 22.1 and NCBI gene_info in ../shared/mirror, so the
name and gene mapping does real work. Each parse runs in its own process (`mirlens
targets-parse`), measured by wall time and that process's peak RSS (os.wait4); the peer is a
plain ``pandas.read_csv`` of the same file in its own process. Selecting 500 miRNAs from each
store is timed against a peer that reads the whole store with pandas and filters.

Goals: all three parses <= 120 s together and <= 2 GB RSS each; selecting 500 miRNAs <= 1 s.
Prints one JSON object on the last line. ``--quick`` uses 1/50 of the sizes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MIRLENS_SHARED", REPO.parent / "shared"))
MIRBASE = SHARED / "mirror/mirbase.org/download_version_files/22.1"
GENE_INFO = (
    SHARED / "mirror/ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz"
)

SIZES = {"targetscan": 2_000_000, "summary": 600_000, "mirdb": 3_400_000, "mirtarbase": 1_000_000}


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def run_measured(argv: list[str]) -> tuple[float, float, int]:
    """Run a process -> (seconds, peak RSS in MB of that process, return code).

    Peak RSS is the child's own VmHWM, polled until it exits: ru_maxrss of a child would
    include this (large) parent's RSS inherited at fork time.
    """
    t0 = time.perf_counter()
    errfile = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errfile)
    peak = 0.0
    while proc.poll() is None:
        hwm = _vm_hwm_mb(proc.pid)
        if hwm is not None:
            peak = max(peak, hwm)
        time.sleep(0.02)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        errfile.seek(0)
        sys.stderr.write(errfile.read().decode(errors="replace"))
    errfile.close()
    return seconds, peak, proc.returncode


def _write_tsv(table: pa.Table, path: Path, header: bool = True, delimiter: str = "\t") -> None:
    """Unquoted delimited text, as the releases are (pyarrow would quote the header)."""
    opts = pacsv.WriteOptions(include_header=False, delimiter=delimiter, quoting_style="none")
    with open(path, "wb") as fh:
        if header:
            fh.write((delimiter.join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, fh, opts)


def _zip(path: Path) -> Path:
    out = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(path, path.name)
    path.unlink()
    return out


def _reference():
    from mirlens.mirbase import read_mature

    mature = read_mature(MIRBASE / "mature.fa")
    gi = pd.read_csv(
        GENE_INFO, sep="\t", dtype=str, usecols=["#tax_id", "GeneID", "Symbol", "dbXrefs"]
    )
    gi = gi[gi["#tax_id"] == "9606"]
    gi["ensg"] = gi["dbXrefs"].str.extract(r"Ensembl:(ENSG\d+)")[0]
    return mature, gi


def generate(tmp: Path, scale: float, rng: np.random.Generator) -> dict[str, list[Path]]:
    mature, gi = _reference()
    hsa = mature[mature["species"] == "hsa"].reset_index(drop=True)
    genes = gi.dropna(subset=["ensg"]).reset_index(drop=True)
    n_gene = len(genes)

    # TargetScan family info: every human miRNA is its own family (seed = nt 2-8).
    seeds = hsa["sequence"].str[1:8]
    fam = pa.table(
        {
            "miR family": hsa["name"].str.removeprefix("hsa-"),
            "Seed+m8": seeds,
            "Species ID": ["9606"] * len(hsa),
            "MiRBase ID": hsa["name"],
            "Mature sequence": hsa["sequence"],
            "Family Conservation?": ["2"] * len(hsa),
            "MiRBase Accession": hsa["mirbase_id"],
        }
    )
    fam_path = tmp / "miR_Family_Info.txt"
    _write_tsv(fam, fam_path)

    n = int(SIZES["targetscan"] * scale)
    gidx = rng.integers(0, n_gene, n)
    midx = rng.integers(0, len(hsa), n)
    other = rng.random(n) < 0.1  # some rows of another species, filtered on read
    score = -np.round(rng.uniform(0.001, 1.2, n), 3)
    ensg = genes["ensg"].to_numpy()
    ctx = pa.table(
        {
            "Gene ID": pa.array(ensg[gidx] + ".1"),
            "Gene Symbol": pa.array(genes["Symbol"].to_numpy()[gidx]),
            "Transcript ID": pa.array(np.char.add("ENST", gidx.astype(str))),
            "Gene Tax ID": pa.array(np.where(other, "10090", "9606")),
            "miRNA": pa.array(hsa["name"].to_numpy()[midx]),
            "Site Type": pa.array(rng.choice([1, 2, 3], n)),
            "UTR_start": pa.array(rng.integers(1, 5000, n)),
            "UTR end": pa.array(rng.integers(1, 5000, n)),
            "context++ score": pa.array(score),
            "context++ score percentile": pa.array(rng.integers(1, 100, n)),
            "weighted context++ score": pa.array(np.round(score * rng.uniform(0.3, 1, n), 3)),
            "weighted context++ score percentile": pa.array(rng.integers(1, 100, n)),
            "Predicted relative KD": pa.array(np.round(rng.uniform(-4, 0, n), 3)),
        }
    )
    ctx_path = tmp / "Predicted_Targets_Context_Scores.default_predictions.txt"
    _write_tsv(ctx, ctx_path)
    del ctx

    m = int(SIZES["summary"] * scale)
    sg = rng.integers(0, n_gene, m)
    ss = rng.integers(0, len(hsa), m)
    cols = {
        "Transcript ID": pa.array(np.char.add("ENST", sg.astype(str))),
        "Gene Symbol": pa.array(genes["Symbol"].to_numpy()[sg]),
        "miRNA family": pa.array(seeds.to_numpy()[ss]),
        "Species ID": pa.array(np.full(m, "9606")),
    }
    for c in (
        "Total num conserved sites",
        "Number of conserved 8mer sites",
        "Number of conserved 7mer-m8 sites",
        "Number of conserved 7mer-1a sites",
        "Total num nonconserved sites",
        "Number of nonconserved 8mer sites",
        "Number of nonconserved 7mer-m8 sites",
        "Number of nonconserved 7mer-1a sites",
        "Number of 6mer sites",
    ):
        cols[c] = pa.array(rng.integers(0, 3, m))
    cols["Representative miRNA"] = pa.array(hsa["name"].to_numpy()[ss])
    for c in ("Total context++ score", "Cumulative weighted context++ score"):
        cols[c] = pa.array(-np.round(rng.uniform(0, 2, m), 3))
    cols["Aggregate PCT"] = pa.array(np.round(rng.uniform(0, 1, m), 2))
    for c in ("low miRNA", "high miRNA", "transfected miRNA"):
        cols[f"Predicted occupancy - {c}"] = pa.array(np.round(rng.uniform(0, 1, m), 4))
    sum_path = tmp / "Summary_Counts.default_predictions.txt"
    _write_tsv(pa.table(cols), sum_path)

    # miRDB: all species, versionless RefSeq; NM_ ids from MANE where present + unmapped XM_.
    mane = pd.read_csv(
        SHARED / "mirror/ftp.ncbi.nlm.nih.gov/refseq/MANE/MANE_human/release_1.0/"
        "MANE.GRCh38.v1.0.summary.txt.gz",
        sep="\t",
        usecols=["RefSeq_nuc"],
    )["RefSeq_nuc"].str.replace(r"\.\d+$", "", regex=True)
    refseqs = np.concatenate(
        [mane.to_numpy(), np.char.add("XM_", np.arange(10_000, 30_000).astype(str))]
    )
    n = int(SIZES["mirdb"] * scale)
    names = mature["name"].to_numpy()
    is_h = (mature["species"] == "hsa").to_numpy()
    pick = np.where(
        rng.random(n) < 0.45,
        rng.choice(np.flatnonzero(is_h), n),
        rng.choice(np.flatnonzero(~is_h), n),
    )
    mirdb_tab = pa.table(
        {
            "m": pa.array(names[pick]),
            "r": pa.array(refseqs[rng.integers(0, len(refseqs), n)]),
            "s": pa.array(np.round(rng.uniform(50, 100, n), 7)),
        }
    )
    raw = tmp / "miRDB_v6.0_prediction_result.txt"
    _write_tsv(mirdb_tab, raw, header=False)
    mirdb_path = raw.with_name(raw.name + ".gz")
    with open(raw, "rb") as src, gzip.open(mirdb_path, "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst)
    raw.unlink()
    del mirdb_tab

    # miRTarBase 10.0 CSV: one row per evidence.
    n = int(SIZES["mirtarbase"] * scale)
    g = rng.integers(0, len(gi), n)
    mi = rng.integers(0, len(hsa), n)
    exps = np.array(
        [
            "Luciferase reporter assay//Western blot//qRT-PCR",
            "Microarray",
            "HITS-CLIP",
            "PAR-CLIP",
            "qRT-PCR//Western blot",
            "Reporter assay;Microarray",
            "CLASH",
        ]
    )
    sup = np.array(["Functional MTI", "Functional MTI (Weak)", "Non-Functional MTI"])
    mtb = pa.table(
        {
            "miRTarBase ID": pa.array(np.char.add("MIRT", (mi * 1000 + g % 1000).astype(str))),
            "miRNA": pa.array(hsa["name"].to_numpy()[mi]),
            "Species (miRNA)": pa.array(np.full(n, "Homo sapiens")),
            "Target Gene": pa.array(gi["Symbol"].to_numpy()[g]),
            "Target Gene (Entrez ID)": pa.array(gi["GeneID"].to_numpy()[g]),
            "Species (Target Gene)": pa.array(np.full(n, "Homo sapiens")),
            "Experiments": pa.array(exps[rng.integers(0, len(exps), n)]),
            "Support Type": pa.array(sup[rng.choice(3, n, p=[0.3, 0.65, 0.05])]),
            "References (PMID)": pa.array(rng.integers(10_000_000, 40_000_000, n)),
        }
    )
    mtb_path = tmp / "hsa_MTI.csv"
    _write_tsv(mtb, mtb_path, delimiter=",")

    return {
        "targetscan": [_zip(ctx_path), _zip(sum_path), _zip(fam_path)],
        "mirdb": [mirdb_path],
        "mirtarbase": [mtb_path],
    }


def peer_read(path: Path, source: str) -> list[str]:
    """A plain pandas.read_csv of the same (largest) file, as its own process."""
    if source == "mirdb":
        code = f"import pandas as pd; pd.read_csv({str(path)!r}, sep='\\t', header=None)"
    elif source == "mirtarbase":
        code = f"import pandas as pd; pd.read_csv({str(path)!r})"
    else:
        code = f"import pandas as pd; pd.read_csv({str(path)!r}, sep='\\t')"
    return [sys.executable, "-c", code]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1/50 of the real sizes")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", help="write the generated files here instead of a temp dir")
    args = ap.parse_args()
    for p in (MIRBASE, GENE_INFO):
        if not p.exists():
            sys.exit(f"needs {p} (set MIRLENS_SHARED)")
    scale = 0.02 if args.quick else 1.0
    rng = np.random.default_rng(args.seed)
    tmpdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mirlens-bench-"))
    tmpdir.mkdir(parents=True, exist_ok=True)
    mane = (
        SHARED / "mirror/ftp.ncbi.nlm.nih.gov/refseq/MANE/MANE_human/release_1.0/"
        "MANE.GRCh38.v1.0.summary.txt.gz"
    )
    result: dict = {"bench": "targets_parse", "quick": args.quick, "sources": {}}
    try:
        t0 = time.perf_counter()
        files = generate(tmpdir, scale, rng)
        result["generate_s"] = round(time.perf_counter() - t0, 1)
        mirlens = [sys.executable, "-m", "mirlens.cli"]
        for source, inputs in files.items():
            store = tmpdir / f"{source}.parquet"
            argv = mirlens + ["targets-parse", "--source", source, "--input", *map(str, inputs)]
            argv += ["--mirbase", str(MIRBASE), "--gene-info", str(GENE_INFO)]
            argv += ["--out", str(store), "--stats", str(tmpdir / f"{source}.json")]
            if source == "mirdb":
                argv += ["--mane", str(mane)]
            secs, rss, rc = run_measured(argv)
            if rc != 0:
                raise SystemExit(f"{source} parse failed ({rc})")
            st = json.loads((tmpdir / f"{source}.json").read_text())
            psecs, prss, prc = run_measured(peer_read(inputs[0], source))
            if prc != 0:
                raise SystemExit(f"{source} peer read failed ({prc})")
            result["sources"][source] = {
                "rows_read": st["rows_read"],
                "pairs": st["pairs"],
                "parse_s": round(secs, 2),
                "parse_rss_mb": round(rss, 1),
                "peer_read_csv_s": round(psecs, 2),
                "peer_read_csv_rss_mb": round(prss, 1),
                "time_ratio_vs_peer": round(secs / psecs, 2) if psecs else None,
                "rss_ratio_vs_peer": round(rss / prss, 2) if prss else None,
            }

        # Select 500 miRNAs from each store (in-process, as targets-select does).
        from mirlens.targets.select import DEFAULTS, select_run

        for source in files:
            store = tmpdir / f"{source}.parquet"
            ids = pd.read_parquet(store, columns=["mirbase_id"])["mirbase_id"].unique()
            chosen = sorted(rng.choice(ids, min(500, len(ids)), replace=False).tolist())
            t = time.perf_counter()
            sel = select_run(store, source, chosen, dict(DEFAULTS))
            ours = time.perf_counter() - t
            t = time.perf_counter()
            full = pd.read_parquet(store)
            full[full["mirbase_id"].isin(chosen)]
            peer = time.perf_counter() - t
            result["sources"][source].update(
                {
                    "select_500_s": round(ours, 3),
                    "select_rows": len(sel),
                    "peer_read_parquet_filter_s": round(peer, 3),
                    "select_ratio_vs_peer": round(ours / peer, 2) if peer else None,
                }
            )
        srcs = result["sources"].values()
        result["total_parse_s"] = round(sum(s["parse_s"] for s in srcs), 1)
        result["max_parse_rss_mb"] = max(s["parse_rss_mb"] for s in srcs)
        result["max_select_500_s"] = max(s["select_500_s"] for s in srcs)
        result["goals"] = {
            "parse_total_le_120s": result["total_parse_s"] <= 120,
            "parse_rss_le_2gb": result["max_parse_rss_mb"] <= 2048,
            "select_500_le_1s": result["max_select_500_s"] <= 1.0,
        }
    finally:
        if not args.keep:
            shutil.rmtree(tmpdir, ignore_errors=True)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
