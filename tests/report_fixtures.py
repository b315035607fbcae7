"""Build a small results folder shaped like the table contracts, for the report tests.

The rows are hand-written (real miRBase accessions and sequences, real gene and gene-set
names, made-up statistics) and deliberately awkward: extra columns, a skipped document, a
document without a PMID, an ambiguous mention, a miRNA without targets, and a sentence
with markup that must come out escaped. ``empty=True`` writes the header-only tables of a
run in which no miRNA was found (the seed documents' case).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from evidence_standin import evidence_table

from mirlens import contracts
from mirlens.io import read_tsv, write_tsv

SCRIPT_SENTENCE = "Loss of miR-200c <script>alert('x')</script> & gain of ZEB1 drive EMT."

DOCUMENTS = [
    # doc_id, source, path, title, year, pmid, doi, sha256, status, shard, n_chars, extra
    (
        "pmid:30000001",
        "pubmed",
        "query",
        "miR-21 promotes angiogenesis in NSCLC",
        "2019",
        "30000001",
        "10.1000/a1",
        "a" * 64,
        "ok",
        "03",
        "1200",
        "x",
    ),
    (
        "pmid:30000002",
        "pubmed",
        "query",
        "miR-200c restrains EMT <i>in vivo</i>",
        "2021",
        "30000002",
        "",
        "b" * 64,
        "ok",
        "07",
        "900",
        "x",
    ),
    (
        "sha:c0ffee",
        "local",
        "resources/literature/review.pdf",
        "A local review",
        "2021",
        "",
        "10.1000/b2",
        "c" * 64,
        "ok",
        "01",
        "5000",
        "x",
    ),
    (
        "sha:deadbeef",
        "local",
        "resources/literature/broken.pdf",
        "",
        "",
        "",
        "",
        "d" * 64,
        "skipped: no text layer",
        "02",
        "0",
        "x",
    ),
]

MIRNAS = [
    # mirbase_id, name, sequence, seed, family, n_documents, n_mentions, documents
    (
        "MIMAT0000076",
        "hsa-miR-21-5p",
        "UAGCUUAUCAGACUGAUGUUGA",
        "AGCUUAU",
        "mir-21",
        "2",
        "3",
        "pmid:30000001;sha:c0ffee",
    ),
    (
        "MIMAT0000617",
        "hsa-miR-200c-3p",
        "UAAUACUGCCGGGUAAUGAUGGA",
        "AAUACUG",
        "mir-8",
        "2",
        "2",
        "pmid:30000002;sha:c0ffee",
    ),
    (
        "MIMAT0000062",
        "hsa-let-7a-5p",
        "UGAGGUAGUAGGUUGUAUAGUU",
        "GAGGUAG",
        "let-7",
        "1",
        "1",
        "sha:c0ffee",
    ),
]

S1 = "MiR-21 was up-regulated in tumours and miR-21 promoted tube formation."
S2 = "Both miR-21 and miR-200c were measured, as was let-7a."
MENTIONS = [
    # doc_id, start, end, text, sentence, ids, names, status, kind
    (
        "pmid:30000001",
        100,
        106,
        "MiR-21",
        S1,
        "MIMAT0000076",
        "hsa-miR-21-5p",
        "resolved",
        "mature",
    ),
    (
        "pmid:30000001",
        139,
        145,
        "miR-21",
        S1,
        "MIMAT0000076",
        "hsa-miR-21-5p",
        "resolved",
        "mature",
    ),
    (
        "pmid:30000002",
        40,
        48,
        "miR-200c",
        SCRIPT_SENTENCE,
        "MIMAT0000617",
        "hsa-miR-200c-3p",
        "resolved",
        "mature",
    ),
    (
        "sha:c0ffee",
        10,
        16,
        "miR-21",
        S2,
        "MIMAT0000076;MIMAT0004494",
        "hsa-miR-21-5p;hsa-miR-21-3p",
        "ambiguous",
        "arm",
    ),
    ("sha:c0ffee", 21, 29, "miR-200c", S2, "MIMAT0000617", "hsa-miR-200c-3p", "resolved", "mature"),
    ("sha:c0ffee", 45, 51, "let-7a", S2, "MIMAT0000062", "hsa-let-7a-5p", "resolved", "mature"),
    ("sha:c0ffee", 60, 68, "miR-9999", "An odd miR-9999 appeared.", "", "", "unresolved", "mature"),
]

TARGETS = {
    "targetscan": [
        ("MIMAT0000076", "hsa-miR-21-5p", "PTEN", "5728", "-0.41", "8mer"),
        ("MIMAT0000076", "hsa-miR-21-5p", "PDCD4", "27250", "-0.62", "8mer"),
        ("MIMAT0000076", "hsa-miR-21-5p", "RECK", "8434", "-0.20", "7mer-m8"),
        ("MIMAT0000617", "hsa-miR-200c-3p", "ZEB1", "6935", "-0.80", "8mer"),
        ("MIMAT0000617", "hsa-miR-200c-3p", "ZEB2", "9839", "-0.71", "8mer"),
        ("MIMAT0000617", "hsa-miR-200c-3p", "VEGFA", "7422", "-0.15", "7mer-1a"),
    ],
    "mirdb": [
        ("MIMAT0000076", "hsa-miR-21-5p", "PDCD4", "27250", "97", ""),
        ("MIMAT0000617", "hsa-miR-200c-3p", "ZEB1", "6935", "99", ""),
        ("MIMAT0000617", "hsa-miR-200c-3p", "ZEB2", "9839", "98", ""),
        ("MIMAT0000617", "hsa-miR-200c-3p", "CD274", "29126", "71", ""),
    ],
    "mirtarbase": [
        ("MIMAT0000076", "hsa-miR-21-5p", "PTEN", "5728", "", "Luciferase reporter assay"),
        ("MIMAT0000076", "hsa-miR-21-5p", "PDCD4", "27250", "", "Western blot"),
        ("MIMAT0000617", "hsa-miR-200c-3p", "ZEB1", "6935", "", "Luciferase reporter assay"),
    ],
}

# scope, gene_set, theme, set_size, overlap, universe, OR, p, fdr, emp_p, emp_fdr, genes, library
ENRICHMENT = {
    "hallmark": [
        (
            "hsa-miR-200c-3p",
            "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION",
            "EMT",
            200,
            2,
            5000,
            25.0,
            1e-4,
            2e-3,
            1e-3,
            4e-3,
            "ZEB1;ZEB2",
        ),
        (
            "hsa-miR-200c-3p",
            "HALLMARK_ANGIOGENESIS",
            "angiogenesis",
            36,
            1,
            5000,
            9.1,
            0.03,
            0.09,
            0.04,
            0.2,
            "VEGFA",
        ),
        (
            "hsa-miR-21-5p",
            "HALLMARK_ANGIOGENESIS",
            "angiogenesis",
            36,
            1,
            5000,
            12.0,
            0.004,
            0.02,
            0.005,
            0.03,
            "PDCD4",
        ),
        (
            "hsa-miR-21-5p",
            "HALLMARK_P53_PATHWAY",
            "",
            200,
            1,
            5000,
            3.0,
            0.2,
            0.4,
            0.3,
            0.5,
            "PTEN",
        ),
        (
            "genes_union",
            "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION",
            "EMT",
            200,
            2,
            5000,
            8.0,
            0.001,
            0.01,
            0.002,
            0.02,
            "ZEB1;ZEB2",
        ),
        (
            "pathways_union",
            "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION",
            "EMT",
            200,
            2,
            5000,
            8.0,
            0.001,
            0.01,
            0.002,
            0.02,
            "ZEB1;ZEB2",
        ),
    ],
    "go_bp": [
        (
            "hsa-miR-200c-3p",
            "GOBP_REGULATION_OF_T_CELL_ACTIVATION",
            "immune",
            300,
            1,
            8000,
            4.0,
            0.01,
            0.04,
            0.02,
            0.045,
            "CD274",
        ),
        (
            "hsa-miR-21-5p",
            "GOBP_ANGIOGENESIS",
            "angiogenesis;immune",
            400,
            2,
            8000,
            6.0,
            0.002,
            0.01,
            0.003,
            0.02,
            "PDCD4;RECK",
        ),
    ],
}

UNRESOLVED = [
    (
        "miR-9999",
        "unresolved",
        "not in miRBase 22.1",
        "1",
        "1",
        "sha:c0ffee",
        "An odd miR-9999 appeared.",
    )
]

TARGET_STATS = {
    "targetscan": {
        "source": "targetscan",
        "rows_read": 120,
        "rows_kept": 6,
        "unmapped_mirnas": ["hsa-miR-21-3p"],
        "lost": {"no_symbol": 2},
    },
    "mirtarbase": {"source": "mirtarbase", "rows_read": 50, "rows_kept": 3},
}

LOCK = {
    "version": 1,
    "sources": {
        "https://example.org/mirbase/22.1/mature.fa.gz": {
            "url": "https://example.org/mirbase/22.1/mature.fa.gz",
            "key": "mirbase_mature",
            "release": "22.1",
            "path": "resources/mirbase/mature.fa.gz",
            "size": 12345,
            "sha256": "e" * 64,
            "downloaded": "2026-11-20T10:00:00Z",
            "extra": "kept",
        },
        "https://example.org/targetscan/8.0/Predicted.zip": {
            "url": "https://example.org/targetscan/8.0/Predicted.zip",
            "key": "targetscan",
            "release": "8.0",
            "path": "resources/targetscan/Predicted.zip",
            "size": 999,
            "sha256": "f" * 64,
            "downloaded": "2026-11-20T10:05:00Z",
            "source_url": "file:///mirror/targetscan/Predicted.zip",
        },
    },
}

CONFIG = {
    "literature": {"query": "microRNA AND lung cancer", "date_from": "2015", "date_to": "2024"},
    "targets": {"sources": ["targetscan", "mirdb", "mirtarbase"], "min_sources": 1},
    "enrichment": {"libraries": ["hallmark", "go_bp"], "null": 1000, "seed": 7, "fdr": 0.05},
}

DOC_COLS = [*contracts.DOCUMENTS, "extra_col"]  # an extra column the report must tolerate
MENTION_COLS = [*contracts.MENTIONS, "kind", "expansion", "arm_policy", "species", "reason"]
MIRNA_COLS = list(contracts.MIRNAS)
UNRES_COLS = list(contracts.UNRESOLVED)
TARGET_COLS = list(contracts.TARGETS)
CONS_COLS = list(contracts.CONSENSUS)
ENR_COLS = list(contracts.ENRICHMENT)
SET_LEVEL_COLS = list(contracts.ENRICHMENT_SET_LEVEL)
THEMES = ["EMT", "angiogenesis", "immune"]


def _consensus(targets: dict[str, list[tuple]]) -> pd.DataFrame:
    rows: dict[tuple, dict] = {}
    for source in sorted(targets):
        for mid, mirna, gene, entrez, score, evidence in targets[source]:
            row = rows.setdefault(
                (mid, gene),
                {
                    "mirbase_id": mid,
                    "mirna": mirna,
                    "gene_symbol": gene,
                    "entrez_id": entrez,
                    "sources": [],
                    "scores": [],
                    "evidence": [],
                },
            )
            row["sources"].append(source)
            row["scores"].append(f"{source}:{score}" if score else f"{source}:")
            if evidence:
                row["evidence"].append(evidence)
    out = []
    for key in sorted(rows):
        r = rows[key]
        out.append(
            {
                **r,
                "sources": ";".join(r["sources"]),
                "n_sources": len(r["sources"]),
                "scores": ";".join(r["scores"]),
                "evidence": ";".join(r["evidence"]),
            }
        )
    return pd.DataFrame(out, columns=CONS_COLS)


def _enrichment(rows: list[tuple], names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-miRNA rows and set-level rows in the enrichment contract (i9-stats)."""
    per, level = [], []
    for scope, gene_set, theme, size, overlap, universe, odds, p, fdr, hp, _q, genes in rows:
        hyp = "themed" if theme else "exploratory"
        if scope in ("genes_union", "pathways_union"):
            if scope == "genes_union":
                level.append((gene_set, theme, hyp, 3, 2600, 1.9, p, fdr, "rank test (fixture)"))
            continue
        expected = round(size * 40 / universe, 4)
        per.append((scope, names.get(scope, ""), gene_set, theme, hyp, size, overlap, expected))
        per[-1] += (universe, odds, p, hp, fdr, genes)
    return pd.DataFrame(per, columns=ENR_COLS), pd.DataFrame(level, columns=SET_LEVEL_COLS)


def make_results(root: Path, empty: bool = False) -> Path:
    """Write a contract-shaped results folder under ``root`` and return it."""
    root = Path(root)

    def table(rows: list, cols: list[str], rel: str) -> None:
        df = pd.DataFrame([] if empty else rows, columns=cols, dtype=object)
        write_tsv(df, root / rel)

    docs = DOCUMENTS
    if empty:  # the seed documents: read fine, but they name no specific miRNA
        docs = [
            (
                "seed:000",
                "local",
                "seeds/000.txt",
                "MiRNA-Based Therapies for Lung Cancer",
                "2022",
                "",
                "",
                "1" * 64,
                "ok",
                "00",
                "40000",
                "",
            ),
            (
                "seed:003",
                "local",
                "seeds/003.txt",
                "A second seed",
                "",
                "",
                "",
                "2" * 64,
                "ok",
                "03",
                "30000",
                "",
            ),
        ]
    write_tsv(pd.DataFrame(docs, columns=DOC_COLS), root / "literature/documents.tsv")
    mentions = [(*m, "", "", "hsa", "") for m in MENTIONS]
    table(mentions, MENTION_COLS, "mentions.tsv")
    table(MIRNAS, MIRNA_COLS, "mirnas.tsv")
    table(UNRESOLVED, UNRES_COLS, "unresolved.tsv")
    for source, rows in TARGETS.items():
        table(
            [(m, n, g, e, source, s, ev) for m, n, g, e, s, ev in rows],
            TARGET_COLS,
            f"targets/{source}.tsv",
        )
    cons = _consensus({} if empty else TARGETS)
    write_tsv(cons, root / "targets/consensus.tsv")
    for source, stats in TARGET_STATS.items():
        data = {"source": source, "rows_read": 0, "rows_kept": 0} if empty else stats
        (root / f"targets/{source}.stats.json").write_text(json.dumps(data, indent=2))
    names = {m[1]: m[0] for m in MIRNAS}
    frames, levels = [], []
    for library, rows in ENRICHMENT.items():
        enr, sl = _enrichment([] if empty else rows, names)
        write_tsv(enr, root / f"enrichment/{library}.tsv")
        write_tsv(sl, root / f"enrichment/{library}.set_level.tsv")
        frames.append(enr.assign(library=library))
        levels.append(sl)
    (root / "config.json").write_text(json.dumps(CONFIG, indent=2))
    ev = evidence_table(
        read_tsv(root / "mirnas.tsv"),
        read_tsv(root / "mentions.tsv"),
        read_tsv(root / "targets/consensus.tsv"),
        pd.concat(frames, ignore_index=True).astype(str),
        pd.concat(levels, ignore_index=True).astype(str),
        THEMES,
    )
    write_tsv(ev, root / "evidence.tsv")
    lock = root.parent / f"{root.name}.lock.json"
    lock.write_text(json.dumps(LOCK, indent=2))
    return root
