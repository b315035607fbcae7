"""Context of mentions: direction, role, sample, themes; curated directions; extract records."""

from __future__ import annotations

import json

import pytest
from conftest import shared_path
from context_scoring import score_directions, stem

from mirlens.cli import main
from mirlens.text.context import annotate


@pytest.fixture(scope="module")
def extract(mirbase_dir):
    from mention_scoring import release_for

    from mirlens.text import Extractor, Normaliser

    ex = Extractor(Normaliser(release_for(mirbase_dir), "hsa", "both"))
    return lambda doc_id, text: annotate(ex.extract(doc_id, text))


def context(extract, text):
    return {r["text"]: (r["direction"], r["role"], r["sample"]) for r in extract("d", text)}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("miR-21 was significantly up-regulated in HCC tissues.", ("up", "none", "tissue")),
        ("Serum miR-21 levels were higher in patients.", ("up", "none", "serum")),
        ("Downregulation of miR-145 in plasma of CRC patients.", ("down", "none", "plasma")),
        ("Exosomal miR-1246 was elevated.", ("up", "none", "exosome")),
        ("Tumor suppressor let-7a is lost in breast cancer.", ("down", "none", "unknown")),
        ("Plasma miR-16 did not differ between groups.", ("unchanged", "none", "plasma")),
        ("Overexpression of miR-100 inhibits proliferation of glioma cells.",
         ("unknown", "none", "cell line")),
        ("Cells were transfected with miR-34a mimics.", ("unknown", "mimic", "cell line")),
        ("An antagomir against miR-155 cut tumour growth.", ("unknown", "inhibitor", "unknown")),
        ("LncRNA SNHG6 promotes glioma by sponging miR-101-3p.", ("down", "inhibitor", "unknown")),
        ("miR-200c targets ZEB1.", ("unknown", "none", "unknown")),
    ],
)  # fmt: skip
def test_mention_context(extract, text, want):
    (got,) = [v for k, v in context(extract, text).items()]
    assert got == want


def test_stem():
    assert stem("hsa-miR-21-5p") == stem("hsa-mir-21") == "mir-21"
    assert stem("hsa-let-7a-1") == "let-7a"


@pytest.mark.parametrize("name", ["mircancer_nonlung.titles.jsonl", "hmdd_nonlung.doclevel.jsonl"])
def test_direction_matches_curated_profiles(extract, name):
    """On documents whose text states a direction for a curated miRNA, it is the curated one.

    (miRCancer: ~900 of 6,471 titles state one; HMDD: ~1,700 of the ~2,400 documents with
    an up/down category; see ``python tests/context_scoring.py``.)"""
    lines = shared_path(f"data/corpora/{name}").read_text(encoding="utf-8").splitlines()
    records = [json.loads(x) for x in lines]
    records = [r for r in records if r.get("profiles") or any(
        e["category"].endswith(("_up", "_down")) for e in r.get("evidence", []))]  # fmt: skip
    s = score_directions(records, extract)
    assert s["documents_stating"] >= 500, s
    assert s["accuracy"] >= 0.85, s


def test_extract_records_and_themes(tmp_path, mirbase_dir):
    themes = tmp_path / "themes.json"
    themes.write_text(json.dumps({"EMT": {"hallmark": [], "vocabulary": ["EMT", "vimentin"]}}))
    src = tmp_path / "docs.jsonl"
    text = "Serum miR-21 was up-regulated. miR-200c mimics restored E-cadherin and cut vimentin."
    src.write_text(json.dumps({"doc_id": "a", "text": text}) + "\n", encoding="utf-8")
    out = tmp_path / "m.jsonl"
    argv = ["extract", str(src), "--out", str(out), "--mirbase", str(mirbase_dir),
            "--themes", str(themes)]  # fmt: skip
    assert main(argv) == 0
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    got = [(r["text"], r["direction"], r["role"], r["sample"], r["themes"]) for r in recs]
    assert got == [
        ("miR-21", "up", "none", "serum", []),
        ("miR-200c", "unknown", "mimic", "unknown", ["EMT"]),
    ]


def test_theme_prefilter_equals_themes_hits():
    """The substring test in front of the theme patterns never changes an answer."""
    import yaml
    from conftest import REPO

    from mirlens.text.sentences import sentence_bounds
    from mirlens.themes import load_themes

    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    themes = load_themes(cfg["enrichment"]["themes"])
    themes = themes.with_genes({"EMT": ["ZEB1", "SNAI2", "CDH2"], "immune": ["CD274", "IL-6"]})
    plain = load_themes(cfg["enrichment"]["themes"])
    plain = plain.with_genes({"EMT": ["ZEB1", "SNAI2", "CDH2"], "immune": ["CD274", "IL-6"]})
    object.__setattr__(plain, "_clues", dict.fromkeys(plain._clues))  # no clue: every pattern runs
    fast = themes.hits
    lines = shared_path("data/corpora/scai_mirna.train.jsonl").read_text(encoding="utf-8")
    sentences = []
    for line in lines.splitlines()[:120]:
        text = json.loads(line)["text"]
        b = [*sentence_bounds(text), len(text)]
        sentences += [text[i:j] for i, j in zip(b, b[1:], strict=False)]
    sentences += ["ZEB1 and IL6 drive EMT.", "CD274 (PD-L1) on T-cells.", "Twist and snail."]
    assert sum(bool(plain.hits(s)) for s in sentences) >= 20
    assert [fast(s) for s in sentences] == [plain.hits(s) for s in sentences]
