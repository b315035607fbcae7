"""Benchmark: the workflow at 20k and 100k documents, and the cost of 1 % more documents.

Literature sets are built from the real abstracts and corpora in ../shared (HMDD evidence
texts, miRCancer titles, BioC sentences, SCAI abstracts, pancreatic-cancer abstracts),
given new ids (the texts are real, repeated with new ids above the ~25k distinct texts), in
files of 5,000 documents. Each size runs in its own workspace against the loopback mirror:

1. full run (`snakemake --cores N`), its per-stage time and peak RSS;
2. no-op rerun (`snakemake --cores N` again) and a dry run;
3. +1 % new documents in a new file, rerun, ``--repeats`` times (3; each adds another 1 %):
   ``rerun_1pct_s`` is the median (``rerun_1pct_each_s`` all of them), ``rerun_ratio`` =
   median / full (goal <= 0.05): one rerun of 10-20 s moves by up to 40 % on a busy machine;
4. another +1 %, from the texts after the first n (unseen ones while there are any), rerun:
   ``rerun2_ratio``. ``mirna_set_changed`` / ``rerun2_mirna_set_changed`` say whether the
   new papers named a miRNA the set lacked (then targets and enrichment rerun too).

Downloads and release parsing (done once per release, shared by every literature set) run
once beforehand in a warm-up workspace and are not part of ``full_s``; each size has its
own, cold, extraction cache. Per-stage numbers come from polling the process tree (every
0.2 s): ``jobs_s`` sums each `mirlens <command>` job's lifetime, ``peak_rss_mb`` is the
largest single job; ``peak_rss_mb`` of a size is the largest sum over all processes at one
moment (Snakemake included). Also: the dry-run time of a 2,048-shard DAG (goal <= 30 s).

Prints one JSON object on its last line. ``--quick``: 2,000 documents only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MIRLENS_SHARED", REPO.parent / "shared"))
SOURCES = [
    "data/corpora/hmdd_nonlung.doclevel.jsonl",
    "data/corpora/mircancer_nonlung.titles.jsonl",
    "data/corpora/mirna_mrna_bioc.train.jsonl",
    "data/corpora/scai_mirna.train.jsonl",
    "data/literature/miretrieve_panc.abstracts.jsonl",
]
FILE_DOCS = 5000


def real_texts() -> list[dict]:
    """Distinct real texts (with title and year where the source has them)."""
    seen, out = set(), []
    for rel in SOURCES:
        with open(SHARED / rel, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                text = rec.get("text") or ""
                if text.strip() and text not in seen:
                    seen.add(text)
                    out.append(
                        {"text": text, "title": rec.get("title", ""), "year": rec.get("year")}
                    )
    return out


def write_docs(
    folder: Path, texts: list[dict], start: int, n: int, prefix: str, offset: int | None = None
) -> None:
    """n documents with new ids (prefix + number), cycling through the real texts (from
    text ``offset`` if given, else from text ``start``)."""
    folder.mkdir(parents=True, exist_ok=True)
    shift = 0 if offset is None else offset - start
    for first in range(start, start + n, FILE_DOCS):
        last = min(first + FILE_DOCS, start + n)
        with open(folder / f"{prefix}{first:07d}.jsonl", "w", encoding="utf-8") as fh:
            for i in range(first, last):
                rec = texts[(i + shift) % len(texts)]
                doc = {"doc_id": f"{prefix}{i:07d}", "title": rec["title"], "year": rec["year"]}
                fh.write(json.dumps({**doc, "text": rec["text"]}, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- process-tree polling


def _proc_table() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, rss kB, command line) of every process we can read."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as fh:
                rss = int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except (OSError, IndexError, ValueError):
            continue
        table[int(entry)] = (ppid, rss, cmd)
    return table


class TreeMonitor(threading.Thread):
    """Peak total RSS of a process tree, and per `mirlens <command>` job: life and peak."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.stop, self.peak_kb = root, threading.Event(), 0
        self.jobs: dict[int, dict] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            table, now = _proc_table(), time.monotonic()
            tree, frontier = set(), [self.root]
            children: dict[int, list[int]] = {}
            for pid, (ppid, _r, _c) in table.items():
                children.setdefault(ppid, []).append(pid)
            while frontier:
                pid = frontier.pop()
                if pid in table and pid not in tree:
                    tree.add(pid)
                    frontier.extend(children.get(pid, []))
            self.peak_kb = max(self.peak_kb, sum(table[p][1] for p in tree))
            for pid in tree:
                cmd = table[pid][2]
                if " -m mirlens " in f" {cmd}" and "pipefail" not in cmd:  # not the shell
                    name = cmd.split(" -m mirlens ", 1)[1].split()[0]
                    job = self.jobs.setdefault(pid, {"cmd": name, "start": now, "rss": 0})
                    job["end"], job["rss"] = now, max(job["rss"], table[pid][1])
            self.stop.wait(0.2)

    def stages(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for job in self.jobs.values():
            s = out.setdefault(job["cmd"], {"jobs": 0, "jobs_s": 0.0, "peak_rss_mb": 0.0})
            s["jobs"] += 1
            s["jobs_s"] = round(s["jobs_s"] + job["end"] - job["start"], 1)
            s["peak_rss_mb"] = round(max(s["peak_rss_mb"], job["rss"] / 1024), 1)
        return dict(sorted(out.items()))


def snakemake(work: Path, cores: int, *args: str, monitor: bool = False) -> dict:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(work),
           "--configfile", str(work / "config.yaml"), "--cores", str(cores), *args]  # fmt: skip
    t0 = time.monotonic()
    with open(work / "bench.log", "a") as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        log.flush()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        mon = TreeMonitor(proc.pid) if monitor else None
        if mon:
            mon.start()
        rc = proc.wait()
    seconds = time.monotonic() - t0
    if mon:
        mon.stop.set()
        mon.join()
    if rc != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed in {work} (see {work}/bench.log)")
    out = {"s": round(seconds, 1)}
    if mon:
        out.update(peak_rss_mb=round(mon.peak_kb / 1024, 1), stages=mon.stages())
    return out


# ---------------------------------------------------------------- workspaces


def workspace(root: Path, shared_res: Path, mirror: str, shard_docs: int) -> Path:
    """A workspace sharing downloads and parsed stores, with its own cold caches."""
    root.mkdir(parents=True)
    res = root / "resources"
    res.mkdir()
    for name in ("db", "store", "genesets", "sources.lock.json"):
        if (shared_res / name).exists():
            (res / name).symlink_to(shared_res / name)
    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    cfg["mirror"] = mirror
    cfg["literature"].update(paths=["docs"], shard_docs=shard_docs)
    cfg["literature"]["pubmed"]["enabled"] = False
    (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return root


def warm_up(base: Path, texts: list[dict], mirror: str, cores: int) -> tuple[Path, float]:
    """Downloads and release stores, once (shared by every size)."""
    work = base / "warmup"
    work.mkdir(parents=True)
    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    cfg["mirror"] = mirror
    cfg["literature"].update(paths=["docs"], shard_docs=25)
    cfg["literature"]["pubmed"]["enabled"] = False
    (work / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    write_docs(work / "docs", texts, 0, 50, "W")
    t = snakemake(work, cores)["s"]
    return work / "resources", t


def largest_outputs(work: Path, top: int = 3) -> list[tuple[str, float]]:
    files = [p for p in (work / "results").rglob("*") if p.is_file()]
    files.sort(key=lambda p: p.stat().st_size, reverse=True)
    return [(str(p.relative_to(work)), round(p.stat().st_size / 1e6, 1)) for p in files[:top]]


def measure_size(base: Path, shared_res: Path, texts, n: int, args) -> dict:
    work = workspace(base / f"docs{n}", shared_res, args.mirror, args.shard_docs)
    write_docs(work / "docs", texts, 0, n, "G")
    full = snakemake(work, args.cores, *args.extra, monitor=True)
    dry = snakemake(work, args.cores, "-n", *args.extra)["s"]
    noop = snakemake(work, args.cores, *args.extra)["s"]
    new = max(1, n // 100)
    fasta = (work / "results/sequences/mirnas.fa").read_bytes()
    reruns = []
    for k in range(args.repeats):  # each a new 1 %; other texts first: real new work
        write_docs(work / "docs", texts[::-1], n + k * new, new, f"N{k}")
        reruns.append(snakemake(work, args.cores, *args.extra, monitor=True))
    changed = fasta != (work / "results/sequences/mirnas.fa").read_bytes()
    rerun = sorted(reruns, key=lambda r: r["s"])[len(reruns) // 2]  # the median
    # A second 1 %, from the texts after the first n (real texts the set has not seen while
    # there are any): new papers that may name a miRNA the set lacks, which reruns target
    # selection, consensus and enrichment too.
    fasta = (work / "results/sequences/mirnas.fa").read_bytes()
    write_docs(work / "docs", texts, n + new, new, "P", offset=n)
    rerun2 = snakemake(work, args.cores, *args.extra, monitor=True)
    outputs = largest_outputs(work)
    n_shards = sum(1 for _ in open(work / "results/literature/shards.tsv")) - 1
    return {
        "docs": n,
        "full_s": full["s"],
        "rerun_1pct_s": rerun["s"],
        "rerun_ratio": round(rerun["s"] / full["s"], 3),
        "rerun_1pct_each_s": [r["s"] for r in reruns],
        "n_shards": n_shards,
        "mirna_set_changed": changed,
        "rerun2_1pct_s": rerun2["s"],
        "rerun2_ratio": round(rerun2["s"] / full["s"], 3),
        "rerun2_mirna_set_changed": fasta != (work / "results/sequences/mirnas.fa").read_bytes(),
        "noop_s": noop,
        "dry_run_s": dry,
        "peak_rss_mb": full["peak_rss_mb"],
        "largest_output_mb": outputs[0][1] if outputs else 0.0,
        "largest_outputs": outputs,
        "stages_full": full["stages"],
        "stages_rerun_1pct": rerun["stages"],
        "rerun_peak_rss_mb": rerun["peak_rss_mb"],
        "stages_rerun2_1pct": rerun2["stages"],
    }


def dag_dry_run(base: Path, shared_res: Path, texts, args, n_shards: int = 2048) -> float:
    """Dry-run time of the whole DAG with n_shards shards (after `collect` has run)."""
    work = workspace(base / f"dag{n_shards}", shared_res, args.mirror, 1)
    write_docs(work / "docs", texts, 0, n_shards, "D")  # one file, a shard per document
    snakemake(work, args.cores, "results/literature/shards.tsv")
    return snakemake(work, args.cores, "-n")["s"]


def start_mirror() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, str(SHARED / "mirror/serve.py"), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = proc.stdout.readline() if proc.stdout else ""
    if "http://127.0.0.1:" not in line:
        raise SystemExit(f"mirror server did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip().rstrip("/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 documents only")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--shard-docs", type=int, default=1000, help="literature.shard_docs")
    parser.add_argument("--mirror", default=None, help="mirror URL (default: start one)")
    parser.add_argument("--work", default=None, help="folder for the workspaces (kept)")
    parser.add_argument("--no-dag", action="store_true", help="skip the 2,048-shard dry run")
    parser.add_argument(
        "--repeats", type=int, default=3, help="+1 %% reruns (known texts); the median counts"
    )
    parser.add_argument(
        "--warm", default=None, help="resources/ of an earlier run (downloads, stores): no warm-up"
    )
    parser.add_argument("extra", nargs="*", help="extra Snakemake arguments (e.g. targets)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    sizes = [2000] if args.quick else args.sizes
    server = None
    if args.mirror is None:
        server, args.mirror = start_mirror()
    base = Path(args.work or tempfile.mkdtemp(prefix="mirlens-growth-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        texts = real_texts()
        if args.warm:
            shared_res, warm_s = Path(args.warm).resolve(), 0.0
        else:
            shared_res, warm_s = warm_up(base, texts, args.mirror, args.cores)
        result = {"distinct_texts": len(texts), "cores": args.cores, "warmup_s": warm_s,
                  "shard_docs": args.shard_docs, "extra_args": args.extra, "sizes": []}  # fmt: skip
        for n in sizes:
            result["sizes"].append(measure_size(base, shared_res, texts, n, args))
            print(json.dumps(result["sizes"][-1]), flush=True)
        if not args.no_dag:
            result["dag_2048_dry_run_s"] = dag_dry_run(base, shared_res, texts, args)
        result["load_avg_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(result))
    finally:
        if server:
            server.terminate()
        if args.work is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
