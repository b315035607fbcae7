"""Merge per-shard mention records into the run's miRNA tables (``mirlens mirnas``).

Outputs:

- ``mentions.tsv``: every extract record, lists joined by ';', sorted by doc_id, start, end.
- ``mirnas.tsv``: one row per mature miRNA reached by a *resolved* mention (directly or by
  family/cluster/enumeration expansion): mirbase_id, name, sequence, seed (nt 2-8),
  family (TargetScan seed family with ``--family-info``, else the miRBase miFam family
  name), n_documents, n_mentions, documents (';'-joined doc_ids), then species,
  precursors, mirbase_family (MIPF accessions), n_direct, n_family, n_cluster (mentions by
  the way they reached the miRNA). Sorted by name. Header only when nothing was found.
- ``sequences/mirnas.fa``: ``>name MIMAT...`` and the sequence, in the table's order.
- ``unresolved.tsv``: ambiguous and unresolved mentions grouped by normalised form:
  text, status, reason, n_mentions, n_documents, example_doc_id, example_sentence.
"""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, join_list, read_jsonl, read_parquets, write_tsv
from mirlens.memo import memo_key
from mirlens.mirbase import MirbaseRelease
from mirlens.text.extract import DEFAULT_MIRBASE, FIELDS, cached_release, resolve_family_info

log = logging.getLogger(__name__)

MIRNA_COLUMNS = [
    "mirbase_id", "name", "sequence", "seed", "family", "n_documents", "n_mentions",
    "documents", "species", "precursors", "mirbase_family", "n_direct", "n_family", "n_cluster",
]  # fmt: skip
UNRESOLVED_COLUMNS = [
    "text", "status", "reason", "n_mentions", "n_documents", "example_doc_id",
    "example_sentence",
]  # fmt: skip


def read_mentions(paths: list[str | Path]) -> list[dict]:
    """All records of the shard JSONL files, sorted by (doc_id, start, end)."""
    rows: list[dict] = []
    for path in paths:
        if not Path(path).is_file():
            raise MirlensError(f"mentions file not found: {path}")
        for i, rec in enumerate(read_jsonl(path), 1):
            missing = [k for k in ("doc_id", "start", "end", "status") if k not in rec]
            if missing:
                raise MirlensError(f"{path}:{i}: mention record lacks {missing}")
            rows.append(rec)
    rows.sort(key=lambda r: (str(r["doc_id"]), int(r["start"]), int(r["end"])))
    return rows


def _cell(value: object) -> str:
    if isinstance(value, list):
        return join_list(value)
    return "" if value is None else str(value)


def mentions_table(rows: list[dict]) -> pd.DataFrame:
    """The mentions.tsv rows of extract records: every cell text, lists ';'-joined."""
    extra = sorted({k for r in rows for k in r} - set(FIELDS))
    cols = FIELDS + extra
    return pd.DataFrame([[_cell(r.get(c)) for c in cols] for r in rows], columns=cols, dtype=str)


def _via(kind: str) -> str:
    return kind if kind in ("family", "cluster") else "direct"


VIAS = ("direct", "family", "cluster")
MIRNA_SUMMARY = ["species", "mirbase_id", "doc_id", "n_direct", "n_family", "n_cluster"]
UNRESOLVED_SUMMARY = [
    "text", "status", "reason", "n_mentions", "n_documents", "example_doc_id", "example_start",
    "example_end", "example_sentence",
]  # fmt: skip


def mirna_summary(rows: Iterable[dict]) -> pd.DataFrame:
    """miRNA x document mention counts by the way the mention reached the miRNA."""
    counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(VIAS, 0))
    for r in rows:
        if r.get("status") != "resolved":
            continue
        sp = r.get("species") or "hsa"
        for acc in dict.fromkeys(r.get("mirbase_ids") or []):
            counts[(sp, acc, str(r["doc_id"]))][_via(r.get("kind", ""))] += 1
    data = [[*key, c["direct"], c["family"], c["cluster"]] for key, c in sorted(counts.items())]
    return pd.DataFrame(data, columns=MIRNA_SUMMARY).astype({f"n_{v}": "int64" for v in VIAS})


def unresolved_summary(rows: list[dict]) -> pd.DataFrame:
    """Ambiguous and unresolved mentions by normalised form; rows arrive sorted by
    (doc_id, start, end), so the first of each group is its example."""
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("status") != "resolved":
            key = (r.get("normalised") or r.get("text", ""), r["status"], r.get("reason", ""))
            groups[key].append(r)
    out = []
    for (text, status, reason), rs in sorted(groups.items()):
        first = rs[0]
        docs = {str(r["doc_id"]) for r in rs}
        out.append([text, status, reason, len(rs), len(docs), str(first["doc_id"]),
                    int(first["start"]), int(first["end"]), first.get("sentence", "")])  # fmt: skip
    return pd.DataFrame(out, columns=UNRESOLVED_SUMMARY).astype(
        {c: "int64" for c in ("n_mentions", "n_documents", "example_start", "example_end")}
    )


def shard_summaries(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(mention rows, miRNA x document counts, unresolved forms) of one shard's records."""
    return mentions_table(rows), mirna_summary(rows), unresolved_summary(rows)


def merge_mirna_summaries(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per (species, miRNA): documents and mention counts over all shards (a
    document lives in one shard, so per-shard document counts add up)."""
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=MIRNA_SUMMARY)
    df = df.dropna(subset=["species", "mirbase_id"])  # as groupby would
    df = df.sort_values(["species", "mirbase_id", "doc_id"], kind="stable")
    grouped = df.groupby(["species", "mirbase_id"], sort=True)
    merged = grouped[[f"n_{v}" for v in VIAS]].sum().reset_index()
    # rows are sorted by the group keys: each group's documents are one slice of the column
    docs = df["doc_id"].tolist()
    ends = grouped.size().cumsum().tolist()
    merged["documents"] = [docs[a:b] for a, b in zip([0, *ends][:-1], ends, strict=True)]
    return merged


def mirna_table(summary: pd.DataFrame, release: MirbaseRelease) -> pd.DataFrame:
    """mirnas.tsv from the merged miRNA x document summary."""
    out = []
    for row in summary.itertuples(index=False):
        sp, acc = row.species, row.mirbase_id
        idx = release.species(sp)
        if acc not in idx.mature_name:
            log.warning("%s is not a %s mature in %s; dropped", acc, sp, release.directory)
            continue
        seq = idx.mature_seq[acc]
        hps = idx.mature_hairpins.get(acc, [])
        fams = sorted({idx.mifam_of[h][0] for h in hps if h in idx.mifam_of})
        fam_names = sorted({idx.mifam_of[h][1] for h in hps if h in idx.mifam_of})
        docs = sorted(set(row.documents))
        out.append(
            {
                "mirbase_id": acc,
                "name": idx.mature_name[acc],
                "sequence": seq,
                "seed": seq[1:8],
                "family": idx.seed_family_of.get(acc) or join_list(fam_names),
                "n_documents": len(docs),
                "n_mentions": int(row.n_direct + row.n_family + row.n_cluster),
                "documents": join_list(docs),
                "species": sp,
                "precursors": join_list(sorted(idx.hairpin_name[h] for h in hps)),
                "mirbase_family": join_list(fams),
                "n_direct": int(row.n_direct),
                "n_family": int(row.n_family),
                "n_cluster": int(row.n_cluster),
            }
        )
    df = pd.DataFrame(out, columns=MIRNA_COLUMNS)
    return df.sort_values(["name", "mirbase_id"], kind="stable").reset_index(drop=True)


def unresolved_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """unresolved.tsv from per-shard summaries: counts add up, the example is the first
    mention by (doc_id, start, end) over all shards."""
    if not parts:
        return pd.DataFrame(columns=UNRESOLVED_COLUMNS)
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(["example_doc_id", "example_start", "example_end"], kind="stable")
    key = ["text", "status", "reason"]
    grouped = df.groupby(key, sort=False)
    first = grouped[["example_doc_id", "example_sentence"]].first()
    sums = grouped[["n_mentions", "n_documents"]].sum()
    merged = sums.join(first).reset_index()[UNRESOLVED_COLUMNS]
    merged = merged.sort_values(
        ["n_mentions", "text", "status", "reason"], ascending=[False, True, True, True]
    )
    return merged.reset_index(drop=True)


def read_summaries(paths: list[str]) -> list[pd.DataFrame]:
    """The per-shard summaries as one table (a list of it: the mention tables may add one)."""
    if not paths:
        return []
    return [read_parquets(paths, what="shard summary").to_pandas()]


def write_fasta(df: pd.DataFrame, path: str | Path) -> None:
    with atomic_open(path) as fh:
        for acc, name, seq in zip(df["mirbase_id"], df["name"], df["sequence"], strict=True):
            fh.write(f">{name} {acc}\n{seq}\n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mentions", nargs="+", default=[],
                        help="extract JSONL file(s) (`mirlens extract`), read whole")  # fmt: skip
    parser.add_argument("--mirna-summaries", nargs="*", default=[],
                        help="per-shard miRNA summaries (`mirlens extract-shard`)")  # fmt: skip
    parser.add_argument("--unresolved-summaries", nargs="*", default=[],
                        help="per-shard unresolved summaries (extract-shard)")  # fmt: skip
    parser.add_argument("--mirbase", default=DEFAULT_MIRBASE, help="miRBase download folder")
    parser.add_argument("--family-info", default=None,
                        help="TargetScan miR_Family_Info.txt(.zip): seed families")  # fmt: skip
    parser.add_argument("--out-mentions", default=None, help="mentions.tsv (with --mentions)")
    parser.add_argument("--out", required=True, help="mirnas.tsv")
    parser.add_argument("--fasta", required=True, help="FASTA of the miRNAs")
    parser.add_argument("--unresolved", required=True, help="unresolved.tsv")
    parser.add_argument("--cache-dir", default=None, help="folder for the pickled release")


def run(args: argparse.Namespace) -> int:
    family_info = resolve_family_info(args.family_info)
    mirna_parts = read_summaries(args.mirna_summaries)
    unresolved_parts = read_summaries(args.unresolved_summaries)
    if args.mentions:
        rows = read_mentions(args.mentions)
        if args.out_mentions:
            write_tsv(mentions_table(rows), args.out_mentions)
        mirna_parts.append(mirna_summary(rows))
        unresolved_parts.append(unresolved_summary(rows))
    summary = merge_mirna_summaries(mirna_parts)
    species = sorted(set(summary["species"])) if len(summary) else []
    path = None
    if args.cache_dir:
        key = memo_key("release", ["mirbase.py", "text"], [args.mirbase, family_info, *species])
        path = Path(args.cache_dir) / f"release-{key}.pickle"
    release = cached_release(path, args.mirbase, family_info, 10_000, species)
    mirnas = mirna_table(summary, release)
    write_tsv(mirnas, args.out)
    write_fasta(mirnas, args.fasta)
    unresolved = unresolved_table(unresolved_parts)
    write_tsv(unresolved, args.unresolved)
    log.info(
        "%d shard summaries -> %d miRNAs, %d unresolved/ambiguous forms",
        len(args.mirna_summaries), len(mirnas), len(unresolved),
    )  # fmt: skip
    return 0
