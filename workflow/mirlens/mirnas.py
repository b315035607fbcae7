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
from pathlib import Path

import pandas as pd

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, join_list, read_jsonl, write_tsv
from mirlens.mirbase import MirbaseRelease
from mirlens.text.extract import DEFAULT_MIRBASE, FIELDS, load_release, resolve_family_info

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


def mentions_table(rows: list[dict]) -> pd.DataFrame:
    extra = sorted({k for r in rows for k in r} - set(FIELDS))
    cols = FIELDS + extra
    data = [
        [join_list(v) if isinstance(v, list) else ("" if v is None else v) for v in
         (r.get(c, "") for c in cols)]
        for r in rows
    ]  # fmt: skip
    return pd.DataFrame(data, columns=cols)


def _via(kind: str) -> str:
    return kind if kind in ("family", "cluster") else "direct"


def mirna_table(rows: list[dict], release: MirbaseRelease) -> pd.DataFrame:
    docs: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r.get("status") != "resolved":
            continue
        sp = r.get("species") or "hsa"
        for acc in dict.fromkeys(r.get("mirbase_ids") or []):
            docs[(sp, acc)].add(str(r["doc_id"]))
            counts[(sp, acc)][_via(r.get("kind", ""))] += 1
    out = []
    for (sp, acc), d in docs.items():
        idx = release.species(sp)
        if acc not in idx.mature_name:
            log.warning("%s is not a %s mature in %s; dropped", acc, sp, release.directory)
            continue
        seq = idx.mature_seq[acc]
        hps = idx.mature_hairpins.get(acc, [])
        fams = sorted({idx.mifam_of[h][0] for h in hps if h in idx.mifam_of})
        fam_names = sorted({idx.mifam_of[h][1] for h in hps if h in idx.mifam_of})
        c = counts[(sp, acc)]
        out.append(
            {
                "mirbase_id": acc,
                "name": idx.mature_name[acc],
                "sequence": seq,
                "seed": seq[1:8],
                "family": idx.seed_family_of.get(acc) or join_list(fam_names),
                "n_documents": len(d),
                "n_mentions": sum(c.values()),
                "documents": join_list(sorted(d)),
                "species": sp,
                "precursors": join_list(sorted(idx.hairpin_name[h] for h in hps)),
                "mirbase_family": join_list(fams),
                "n_direct": c["direct"],
                "n_family": c["family"],
                "n_cluster": c["cluster"],
            }
        )
    df = pd.DataFrame(out, columns=MIRNA_COLUMNS)
    return df.sort_values(["name", "mirbase_id"], kind="stable").reset_index(drop=True)


def unresolved_table(rows: list[dict]) -> pd.DataFrame:
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("status") != "resolved":
            key = (r.get("normalised") or r.get("text", ""), r["status"], r.get("reason", ""))
            groups[key].append(r)
    out = []
    for (text, status, reason), rs in groups.items():
        first = rs[0]  # rows arrive sorted by doc_id, start
        out.append(
            [
                text,
                status,
                reason,
                len(rs),
                len({str(r["doc_id"]) for r in rs}),
                str(first["doc_id"]),
                first.get("sentence", ""),
            ]  # fmt: skip
        )
    df = pd.DataFrame(out, columns=UNRESOLVED_COLUMNS)
    df = df.sort_values(
        ["n_mentions", "text", "status", "reason"], ascending=[False, True, True, True]
    )
    return df.reset_index(drop=True)


def write_fasta(df: pd.DataFrame, path: str | Path) -> None:
    with atomic_open(path) as fh:
        for acc, name, seq in zip(df["mirbase_id"], df["name"], df["sequence"], strict=True):
            fh.write(f">{name} {acc}\n{seq}\n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mentions", nargs="+", required=True, help="extract JSONL shard(s)")
    parser.add_argument("--mirbase", default=DEFAULT_MIRBASE, help="miRBase download folder")
    parser.add_argument("--family-info", default=None,
                        help="TargetScan miR_Family_Info.txt(.zip): seed families")  # fmt: skip
    parser.add_argument("--out-mentions", required=True, help="mentions.tsv")
    parser.add_argument("--out", required=True, help="mirnas.tsv")
    parser.add_argument("--fasta", required=True, help="FASTA of the miRNAs")
    parser.add_argument("--unresolved", required=True, help="unresolved.tsv")


def run(args: argparse.Namespace) -> int:
    family_info = resolve_family_info(args.family_info)
    rows = read_mentions(args.mentions)
    release = load_release(args.mirbase, family_info, 10_000)
    write_tsv(mentions_table(rows), args.out_mentions)
    mirnas = mirna_table(rows, release)
    write_tsv(mirnas, args.out)
    write_fasta(mirnas, args.fasta)
    write_tsv(unresolved_table(rows), args.unresolved)
    log.info(
        "%d mentions -> %d miRNAs, %d unresolved/ambiguous forms",
        len(rows), len(mirnas), sum(r["status"] != "resolved" for r in rows),
    )  # fmt: skip
    return 0
