"""Themes: vocabulary and gene-symbol matching, the reserved `vocabulary` key, the schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from mirlens.config import check_config
from mirlens.errors import MirlensError
from mirlens.genesets import load_themes as load_theme_sets
from mirlens.genesets import themes_by_set
from mirlens.themes import load_themes, normalise, usable_symbol

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config/config.yaml"
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


@pytest.fixture(scope="module")
def shipped():
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return load_themes(config["enrichment"]["themes"])


@pytest.mark.parametrize(
    ("sentence", "themes"),
    [
        # Real sentences of the lung-cancer literature, one theme each
        ("miR-200c suppresses epithelial–mesenchymal transition by targeting ZEB1.", ["EMT"]),
        ("EMT-related markers were reduced after miR-29b transfection.", ["EMT"]),
        ("TGF-β1-induced EMT was reversed", ["EMT"]),
        ("Loss of E‐cadherin and gain of vimentin", ["EMT"]),
        ("miR-126 inhibits tube formation of HUVECs", ["angiogenesis"]),
        ("exosomal miR-23a promotes angiogenesis under hypoxia", ["angiogenesis"]),
        ("HIF-1α accumulates", ["angiogenesis"]),
        ("anti-angiogenic therapy", ["angiogenesis"]),
        ("miR-155 regulates PD-L1 in tumour-associated macrophages", ["immune"]),
        ("NF-κB signalling and IL-6 secretion", ["immune"]),
        ("CD8+ T-cells infiltrate", ["immune"]),
        # Both, and none
        ("EMT and angiogenesis", ["EMT", "angiogenesis"]),
        ("miR-21 promotes proliferation, migration and invasion of A549 cells.", []),
        # Traps: ordinary words, other senses, lower-case acronyms
        ("a twist in the story; snails and slugs", []),
        ("emt was not significant", []),
        ("immunohistochemistry of tumour sections", []),
        ("mesenchymal stem cell-derived exosomes", []),
        ("VEGFR-positive but not a VEGFRx", ["angiogenesis"]),
    ],
)
def test_shipped_vocabulary_hits(shipped, sentence, themes):
    assert shipped.hits(sentence) == themes


def test_case_word_boundary_and_plural_rules():
    themes = load_themes({"X": {"vocabulary": ["EMT", "Snail", "T cell", "macrophage", "VEGF"]}})
    assert themes.hits("EMT") == ["X"] and themes.hits("Emt") == [] and themes.hits("EMTX") == []
    assert themes.hits("SNAIL") == ["X"] and themes.hits("snail") == []
    assert themes.matches("T-cells and Tcell") == {"X": ["T-cells", "Tcell"]}
    assert themes.hits("macrophages") == ["X"] and themes.hits("macrophagex") == []
    assert themes.hits("VEGFA") == [] and themes.hits("(VEGF)") == ["X"]
    assert themes.hits("miR-VEGF2") == []  # a digit touching the end is another word


def test_unicode_dashes_and_greek_normalised():
    assert normalise("TGF‐β1 – NF-κB") == "TGF-beta1 - NF-kappaB"
    themes = load_themes({"X": {"vocabulary": ["TGF–beta"]}})  # the term is normalised too
    assert themes.hits("TGF-β signalling") == ["X"]


def test_gene_symbols_when_given():
    base = load_themes({"EMT": {"hallmark": ["S"], "vocabulary": []}, "imm": {"hallmark": ["T"]}})
    assert base.hits("COL1A1 and IL6 rise") == []
    themes = base.with_genes(
        {"EMT": ["COL1A1", "MET", "MIR21", "Ace", "FN", "SPARC"], "imm": ["IL6", "CD44"]}
    )
    assert themes.genes["EMT"] == frozenset({"COL1A1", "SPARC"})
    assert themes.matches("COL1A1 and IL-6 rise in CD44-positive cells") == {
        "EMT": ["COL1A1"],
        "imm": ["CD44", "IL6"],
    }
    assert themes.hits("sparc col1a1 met MET MIR21 miR-21") == []


def test_usable_symbol_rules():
    assert usable_symbol("ZEB1") and usable_symbol("HLA-DRA")
    assert not usable_symbol("C3")  # too short to tell from an abbreviation
    assert not usable_symbol("Ace") and not usable_symbol("123") and not usable_symbol("MIR200C")


def test_vocabulary_is_not_a_library_for_gene_set_code(tmp_path):
    data = {"EMT": {"mini": ["SET_A"], "vocabulary": ["EMT"]}, "immune": {"mini": ["SET_B"]}}
    path = tmp_path / "themes.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    sets = load_theme_sets(path)
    assert sets == {"EMT": {"mini": ["SET_A"]}, "immune": {"mini": ["SET_B"]}}
    assert themes_by_set(sets, "mini") == {"SET_A": "EMT", "SET_B": "immune"}
    themes = load_themes(path)
    assert themes.names == ["EMT", "immune"] and themes.vocabulary == {"EMT": ["EMT"]}
    assert themes.set_names("EMT", "mini") == ["SET_A"]
    with pytest.raises(MirlensError, match="expected a list"):
        load_themes({"EMT": {"vocabulary": "EMT"}})


def test_schema_accepts_vocabulary_and_forbids_a_library_named_vocabulary():
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    check_config(config, SCHEMA)  # the shipped config, with vocabularies, is valid
    bad = copy.deepcopy(config)
    bad["enrichment"]["libraries"]["vocabulary"] = {"format": "gmt", "path": "x.gmt"}
    with pytest.raises(MirlensError, match="enrichment.libraries"):
        check_config(bad, SCHEMA)
    bad = copy.deepcopy(config)
    bad["enrichment"]["themes"]["EMT"]["vocabulary"] = ["EMT", 3]
    with pytest.raises(MirlensError, match="enrichment.themes.EMT.vocabulary"):
        check_config(bad, SCHEMA)
