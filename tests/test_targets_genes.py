"""One gene space: NCBI gene_info symbols, aliases, Entrez and Ensembl IDs; RefSeq via MANE."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_path

from mirlens.errors import MirlensError
from mirlens.targets.genes import GeneIndex, gene_stats, read_gene2refseq, read_mane_refseq

FIX = Path(__file__).parent / "fixtures" / "targets"
GENE_INFO = "mirror/ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz"


@pytest.fixture(scope="module")
def small() -> GeneIndex:
    return GeneIndex.from_gene_info(FIX / "gene_info_small.tsv", 9606)


def test_resolution_order_and_methods(small: GeneIndex) -> None:
    # Entrez wins over a stale symbol; Ensembl (versioned) over the symbol.
    assert small.resolve_one("OLD_NAME", "100") == ("GENEA", "100", "entrez", "")
    assert small.resolve_one("whatever", "", "ENSG00000000200.7")[:3] == ("GENEB", "200", "ensembl")
    assert small.resolve_one("GENEB")[:3] == ("GENEB", "200", "symbol")
    assert small.resolve_one("geneb")[:3] == ("GENEB", "200", "symbol_case")
    assert small.resolve_one("C10orf12")[:3] == ("LCOR", "500", "alias")
    # A dead Entrez ID falls back to the symbol (here an alias of GENEB).
    assert small.resolve_one("OLDB", "99999")[:3] == ("GENEB", "200", "alias")


def test_ambiguous_alias_is_reported_not_guessed(small: GeneIndex) -> None:
    sym, gid, method, note = small.resolve_one("SHARED")
    assert (sym, gid, method) == ("", "", "ambiguous")
    assert note == "GENEA:100;GENEB:200"


def test_duplicate_symbols(small: GeneIndex) -> None:
    # HBD: two GeneIDs, one nomenclature-approved -> that one; MEMO1: neither -> ambiguous.
    assert small.resolve_one("HBD")[:3] == ("HBD", "300", "symbol")
    assert small.resolve_one("MEMO1")[2] == "ambiguous"
    # An Ensembl ID shared by two genes is not used; the symbol decides (ambiguous here).
    assert small.resolve_one("MEMO1", "", "ENSG00000000400")[2] == "ambiguous"


def test_other_species_rows_are_ignored(small: GeneIndex) -> None:
    assert small.resolve_one("", "600")[2] == "unknown"
    mouse = GeneIndex.from_gene_info(FIX / "gene_info_small.tsv", 10090)
    assert mouse.resolve_one("", "600")[:3] == ("Genea", "600", "entrez")


def test_resolve_distinct_with_counts_and_stats(small: GeneIndex) -> None:
    res = small.resolve(symbols=["GENEA", "GENEA", "SHARED", "nope"], entrez=["", "", "", ""])
    assert len(res) == 3
    assert dict(zip(res["in_symbol"], res["n"], strict=True)) == {
        "GENEA": 2,
        "SHARED": 1,
        "nope": 1,
    }
    st = gene_stats(res)
    assert st["genes"]["symbol"] == 1 and st["rows"]["symbol"] == 2
    assert st["genes"]["ambiguous"] == 1 and st["genes"]["unknown"] == 1
    assert st["ambiguous_examples"][0]["note"] == "GENEA:100;GENEB:200"


def test_refseq_tables() -> None:
    mane = read_mane_refseq(FIX / "MANE.summary.txt")
    assert dict(zip(mane["refseq"], mane["entrez_id"], strict=True)) == {
        "NM_000100": "100",
        "NM_000200": "200",
    }
    g2r = read_gene2refseq(FIX / "gene2refseq.tsv", 9606)
    assert set(g2r["refseq"]) == {"NM_000100", "NM_000101", "XM_000150", "NM_000200"}
    assert "-" not in set(g2r["refseq"])


def test_missing_or_wrong_file(tmp_path: Path) -> None:
    with pytest.raises(MirlensError, match="not found"):
        GeneIndex.from_gene_info(tmp_path / "nope.gz")
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(MirlensError, match="gene_info"):
        GeneIndex.from_gene_info(bad)


def test_real_gene_info() -> None:
    idx = GeneIndex.from_gene_info(shared_path(GENE_INFO), 9606)
    assert idx.resolve_one("TP53")[:3] == ("TP53", "7157", "symbol")
    assert idx.resolve_one("", "7157")[:3] == ("TP53", "7157", "entrez")
    assert idx.resolve_one("", "", "ENSG00000141510.16")[:3] == ("TP53", "7157", "ensembl")
    # A withdrawn open-reading-frame name resolves through Synonyms.
    sym, gid, method, _ = idx.resolve_one("C10orf12")
    assert method == "alias" and idx.by_id[gid] == sym == "LCOR"
    # NOTCH2NL is a synonym of several paralogues in this release: reported as ambiguous.
    sym, gid, method, note = idx.resolve_one("NOTCH2NL")
    assert method == "ambiguous" and note.count(":") >= 2
