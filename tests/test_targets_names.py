"""Database miRNA names -> miRBase 22 MIMAT (real mature.fa + aliases.txt)."""

from __future__ import annotations

import pytest

from mirlens.targets.names import MirnaNames, mirna_stats


@pytest.fixture(scope="module")
def names(mirbase_dir) -> MirnaNames:
    return MirnaNames.from_mirbase(mirbase_dir, "hsa")


def test_methods(names: MirnaNames) -> None:
    mir21 = names.by_name["hsa-miR-21-5p"]
    assert names.resolve_one("hsa-miR-21-5p") == (mir21, "name", "")
    assert names.resolve_one("hsa-miR-21")[:2] == (mir21, "alias")  # pre-arm name
    assert names.resolve_one("miR-21-5p")[:2] == (mir21, "name")  # species prefix added
    assert names.resolve_one("HSA-MIR-21-5P")[:2] == (mir21, "case")
    mir101 = names.by_name["hsa-miR-101-3p"]
    assert names.resolve_one("hsa-miR-101-3p.1")[:2] == (mir101, "isoform")
    assert names.resolve_one("hsa-miR-101-3p.2")[:2] == (mir101, "isoform")
    # A current accession wins over a stale name.
    assert names.resolve_one("hsa-miR-101-3p.1", mir101)[:2] == (mir101, "accession")


def test_dead_names_and_accessions(names: MirnaNames) -> None:
    acc, method, note = names.resolve_one("hsa-miR-1254", "MIMAT0005905")
    assert (acc, method) == ("", "unmapped")
    assert "MIMAT0005905" in note


def test_ambiguous_former_name(names: MirnaNames) -> None:
    acc, method, note = names.resolve_one("hsa-miR-34b")
    assert (acc, method) == ("", "ambiguous")
    cands = [c.split(":")[1] for c in note.split(";")]
    assert len(cands) == 2 and all(c in names.by_id for c in cands)


def test_family_expansion(names: MirnaNames) -> None:
    got = names.expand_family("miR-15-5p/16-5p/195-5p")
    want = {
        names.by_name[n]
        for n in ("hsa-miR-15a-5p", "hsa-miR-15b-5p", "hsa-miR-16-5p", "hsa-miR-195-5p")
    }
    assert set(got) == want
    let7 = names.expand_family("let-7-5p/98-5p")
    assert names.by_name["hsa-miR-98-5p"] in let7
    assert names.by_name["hsa-let-7a-5p"] in let7 and names.by_name["hsa-let-7i-5p"] in let7
    assert names.by_name["hsa-let-7a-3p"] not in let7


def test_resolve_table_and_stats(names: MirnaNames) -> None:
    res = names.resolve(["hsa-miR-21", "hsa-miR-21", "hsa-miR-1254", "hsa-miR-34b"])
    assert len(res) == 3
    st = mirna_stats(res)
    assert st["mapped"] == 1 and st["unmapped"] == 2
    assert st["rows"]["alias"] == 2
    assert st["unmapped_examples"][0]["name"] == "hsa-miR-1254"
    assert res.loc[res["in_name"] == "hsa-miR-21", "mirna"].item() == "hsa-miR-21-5p"
