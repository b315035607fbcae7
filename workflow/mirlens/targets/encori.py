"""ENCORI (starBase) miRNA -> mRNA targets with CLIP support, queried per miRNA (optional source).

ENCORI has no release file, only the ``miRNATarget`` API (tab-separated text, ``#`` comment
lines, then a header ``miRNAid miRNAname geneID geneName ... clipExpNum degraExpNum ...``,
one row per binding site). Each run miRNA is fetched once with the broadest filter
(``clipExpNum=1``) and the raw response cached under ``--cache-dir``; thresholds are applied
locally, so changing them never refetches. Requests go through the shared session (retries)
and a rate limiter (default 1 request/s).

Limitation: there is no store of all miRNAs, so the ``--all-out`` table holds only the run's
miRNAs, and a consensus background/universe that counts ENCORI is limited to them.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pyarrow as pa

from mirlens.errors import MirlensError
from mirlens.io import atomic_open
from mirlens.targets.genes import GeneIndex, gene_stats, species_taxid

log = logging.getLogger(__name__)
PathLike = str | os.PathLike

DEFAULT_BASE = "https://rnasysu.com/encori/api"
PROGRAMS = ("PITA", "RNA22", "miRmap", "microT", "miRanda", "PicTar", "TargetScan")
REQUIRED = ("miRNAname", "geneID", "geneName", "clipExpNum")
_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


def query_url(base: str, mirna: str, assembly: str = "hg38") -> str:
    params = {
        "assembly": assembly,
        "geneType": "mRNA",
        "miRNA": mirna,
        "clipExpNum": 1,
        "degraExpNum": 0,
        "pancancerNum": 0,
        "programNum": 1,
        "program": "None",
        "target": "all",
        "cellType": "all",
    }
    return f"{base.rstrip('/')}/miRNATarget/?{urlencode(params)}"


def parse_response(text: str) -> pd.DataFrame:
    """API text -> site rows; raises MirlensError when the text is not a target table."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines or not lines[0].startswith("miRNAid"):
        first = lines[0][:200] if lines else "(empty)"
        raise MirlensError(f"not an ENCORI miRNATarget table: {first!r}")
    df = pd.read_csv(StringIO("\n".join(lines)), sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise MirlensError(f"ENCORI table lacks columns {missing}")
    return df


def aggregate(sites: pd.DataFrame) -> pd.DataFrame:
    """Site rows of one miRNA -> one row per gene: max CLIP/degradome support, sites, programs."""
    if sites.empty:
        return pd.DataFrame(
            columns=["geneID", "geneName", "clip_exp_num", "degra_exp_num", "n_sites", "programs"]
        )
    df = sites.copy()
    df["clip_exp_num"] = pd.to_numeric(df["clipExpNum"], errors="coerce").fillna(0).astype(int)
    deg = df["degraExpNum"] if "degraExpNum" in df else 0
    df["degra_exp_num"] = pd.to_numeric(deg, errors="coerce").fillna(0).astype(int)
    progs = [p for p in PROGRAMS if p in df.columns]
    for p in progs:
        df[p] = pd.to_numeric(df[p], errors="coerce").fillna(0) > 0
    g = df.groupby(["geneID", "geneName"], sort=True)
    out = g.agg(
        clip_exp_num=("clip_exp_num", "max"),
        degra_exp_num=("degra_exp_num", "max"),
        n_sites=("clip_exp_num", "size"),
    )
    if progs:
        hit = g[progs].any()
        out["programs"] = hit.apply(lambda r: "+".join(p for p in progs if r[p]), axis=1)
    else:
        out["programs"] = ""
    return out.reset_index()


class EncoriClient:
    """Cached, rate-limited fetches of one miRNA's targets."""

    def __init__(self, base: str, cache_dir: PathLike | None, assembly: str, rate: float):
        from mirlens.http import RateLimiter, make_session

        self.base = base
        self.cache = Path(cache_dir) if cache_dir else None
        self.assembly = assembly
        self.session = make_session()
        self.limiter = RateLimiter(rate)
        self.fetched = 0
        self.cached = 0

    def _cache_path(self, mirna: str) -> Path | None:
        if self.cache is None:
            return None
        if not _SAFE.match(mirna):
            raise MirlensError(f"unexpected characters in miRNA name {mirna!r}")
        return self.cache / self.assembly / f"{mirna}.tsv"

    def get(self, mirna: str) -> pd.DataFrame:
        from mirlens.http import DEFAULT_TIMEOUT

        path = self._cache_path(mirna)
        if path is not None and path.is_file():
            self.cached += 1
            return parse_response(path.read_text(encoding="utf-8"))
        self.limiter.wait()
        url = query_url(self.base, mirna, self.assembly)
        try:
            resp = self.session.get(url, timeout=DEFAULT_TIMEOUT)
        except Exception as exc:  # requests wraps network errors in many classes
            raise MirlensError(f"ENCORI request failed for {mirna}: {exc}") from None
        if resp.status_code != 200:
            raise MirlensError(f"ENCORI HTTP {resp.status_code} for {mirna}")
        self.fetched += 1
        text = resp.text
        df = parse_response(text)  # only valid tables are cached
        if path is not None:
            with atomic_open(path) as fh:
                fh.write(text)
        return df


def _run_names(args: argparse.Namespace, mirnas: list[str]) -> dict[str, str]:
    """MIMAT -> current miRBase name, from --mirnas (the FASTA, or mirnas.tsv with a
    ``name`` column) or --mirbase."""
    from mirlens.targets.select import read_run_names

    names = read_run_names(args.mirnas)
    if all(names.values()):
        return names
    if not getattr(args, "mirbase", None):
        raise MirlensError("ENCORI needs miRNA names: a 'name' column in --mirnas or --mirbase")
    from mirlens.targets.names import MirnaNames

    species = getattr(args, "species", "hsa")
    return MirnaNames.from_mirbase(args.mirbase, species).by_id


def select(args: argparse.Namespace, mirnas: list[str], opts: dict) -> tuple[pd.DataFrame, dict]:
    """Query ENCORI for the run's miRNAs -> (harmonised rows, stats)."""
    from mirlens.targets.select import harmonise, threshold_filter

    if not getattr(args, "gene_info", None):
        raise MirlensError("--source encori needs --gene-info (NCBI gene_info) for the gene space")
    genes = GeneIndex.from_gene_info(args.gene_info, species_taxid(getattr(args, "species", "hsa")))
    names = _run_names(args, mirnas)
    client = EncoriClient(args.base_url or DEFAULT_BASE, args.cache_dir, args.assembly, args.rate)
    parts = []
    failed: dict[str, str] = {}
    for acc in mirnas:
        name = names.get(acc, "")
        if not name:
            failed[acc] = "no miRBase name"
            continue
        try:
            agg = aggregate(client.get(name))
        except MirlensError as exc:  # one bad miRNA never stops the rest
            failed[acc] = str(exc)
            log.warning("ENCORI %s: %s", name, exc)
            continue
        parts.append(agg.assign(mirbase_id=acc, mirna=name))
    rows = pd.concat(parts, ignore_index=True) if parts else aggregate(pd.DataFrame())
    if "mirbase_id" not in rows:
        rows = rows.assign(mirbase_id=pd.Series(dtype=str), mirna=pd.Series(dtype=str))
    gres = genes.resolve(symbols=rows["geneName"], ensembl=rows["geneID"])
    stats = {
        "encori": {
            "base_url": client.base,
            "fetched": client.fetched,
            "cached": client.cached,
            "failed": failed,
            "site_rows_pairs": len(rows),
        },
        "genes": gene_stats(gres),
    }
    gmap = gres.set_index(["in_symbol", "in_ensembl"])
    key = pd.MultiIndex.from_frame(rows[["geneName", "geneID"]].astype(str))
    rows["gene_symbol"] = gmap["gene_symbol"].reindex(key).fillna("").to_numpy()
    rows["entrez_id"] = gmap["entrez_id"].reindex(key).fillna("").to_numpy()
    stats["pairs_dropped_unmapped_gene"] = int((rows["entrez_id"] == "").sum())
    rows = rows[rows["entrez_id"] != ""]
    rows["score"] = rows["clip_exp_num"].astype(float)
    # Two ENCORI gene IDs resolving to one NCBI gene keep the best-supported row.
    rows = rows.sort_values(["mirbase_id", "entrez_id", "clip_exp_num"], ascending=[1, 1, 0])
    rows = rows.drop_duplicates(["mirbase_id", "entrez_id"])
    kept = threshold_filter(pa.Table.from_pandas(rows, preserve_index=False), "encori", opts)
    df = harmonise(kept, "encori")
    df = df.sort_values(["mirna", "gene_symbol", "entrez_id"], kind="mergesort")
    return df.reset_index(drop=True), stats
