"""Written forms of miRNA names (issue 10), against the real miRBase 22.1 files."""

from __future__ import annotations

import gzip

import pytest
from conftest import shared_path
from mention_scoring import release_for, release_with_families

from mirlens.mirbase import read_gff3
from mirlens.text import Extractor, Normaliser
from mirlens.text.normalise import MAX_CLUSTER, MAX_LETTERS


@pytest.fixture(scope="module")
def release(mirbase_dir):
    return release_with_families(mirbase_dir)


@pytest.fixture(scope="module")
def gff(mirbase_dir):
    return read_gff3(mirbase_dir / "genomes" / "hsa.gff3")


def extract(release, text):
    return Extractor(Normaliser(release, "hsa", "both")).extract("d", text)


def matures_of(gff, names) -> set[str]:
    hp, mat = gff
    acc = set(hp.loc[hp["name"].isin(names), "mirbase_id"])
    assert len(acc) == len(names), names
    return set(mat.loc[mat["hairpin_id"].isin(acc), "mirbase_id"])


@pytest.mark.parametrize(
    "text, spans, hairpins",
    [
        ("miR-34bc were low", ["miR-34b", "c"], [["hsa-mir-34b"], ["hsa-mir-34c"]]),
        ("miR-106ab rose", ["miR-106a", "b"], [["hsa-mir-106a"], ["hsa-mir-106b"]]),
        ("miR-17&20a rose", ["miR-17", "20a"], [["hsa-mir-17"], ["hsa-mir-20a"]]),
        ("miR-16-1/-2 loci", ["miR-16-1", "2"], [["hsa-mir-16-1"], ["hsa-mir-16-2"]]),
        ("mir-7-1/-2/-3 loci", ["mir-7-1", "2", "3"],
         [["hsa-mir-7-1"], ["hsa-mir-7-2"], ["hsa-mir-7-3"]]),
    ],
)  # fmt: skip
def test_lists_inside_one_name(release, gff, text, spans, hairpins):
    rows = extract(release, text)
    assert [r["text"] for r in rows] == spans
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows)
    for r, hp in zip(rows, hairpins, strict=True):
        assert r["status"] == "resolved", r
        assert set(r["mirbase_ids"]) == matures_of(gff, hp)
    # never another miRNA read from a copy number ("miR-2", "miR-3")
    assert not any(
        n.startswith(("hsa-miR-2-", "hsa-miR-3-")) for r in rows for n in r["mirbase_names"]
    )


def test_a_run_of_letters_that_is_one_name_stays_one(release):
    (row,) = extract(release, "miR-548aa is low")
    assert row["mirbase_names"] == ["hsa-miR-548aa"]


@pytest.mark.parametrize("text", ["miR.21", "MicorRNA-21", "micoRNA-21", "mircoRNA-21", "miR-21"])
def test_prefix_typos(release, text):
    (row,) = extract(release, f"The {text} level rose.")
    assert row["text"] == text and row["status"] == "resolved"
    assert set(row["mirbase_names"]) == {"hsa-miR-21-5p", "hsa-miR-21-3p"}


def test_arm_of_a_single_mature_listed_without_arm(release):
    idx = release.species("hsa")
    (acc,) = idx.mature_keys["mir-451a"]
    assert idx.mature_name[acc] == "hsa-miR-451a"
    arm = idx.arm_from_coordinates(acc)  # where it lies in its hairpin (gff3)
    other = {"5p": "3p", "3p": "5p"}[arm]
    (same,) = extract(release, f"miR-451a-{arm} rose")
    assert same["status"] == "resolved" and same["mirbase_ids"] == [acc]
    assert f"{arm} arm of hsa-mir-451a" in same["reason"]
    (wrong,) = extract(release, f"miR-451a-{other} rose")
    assert wrong["status"] == "unresolved" and wrong["mirbase_ids"] == []
    assert f"no {other} mature of hsa-mir-451a" in wrong["reason"]
    assert f"hsa-miR-451a ({arm})" in wrong["reason"]


def test_a_list_before_cluster_is_the_members_named(release, gff):
    """Three 14q32 names (one 10 kb chain of ~50 precursors in miRBase): the three."""
    (row,) = extract(release, "the miR-379/410/656 cluster is silenced")
    assert row["kind"] == "cluster" and row["status"] == "resolved"
    assert set(row["mirbase_ids"]) == matures_of(gff, ["hsa-mir-379", "hsa-mir-410", "hsa-mir-656"])
    (fam,) = extract(release, "the miR-200b/c family")
    assert set(fam["mirbase_ids"]) == matures_of(gff, ["hsa-mir-200b", "hsa-mir-200c"])
    (let7,) = extract(release, "the let-7/miR-98 family")  # a letterless member is its stem
    assert let7["status"] == "resolved"
    names = {n.rsplit("-", 1)[0] for n in let7["mirbase_names"]}
    assert {"hsa-let-7a", "hsa-let-7i", "hsa-miR-98"} <= names and "hsa-miR-202" not in names


def test_two_names_before_cluster_are_its_ends(release, gff):
    (row,) = extract(release, "the miR-106b/25 cluster")
    assert row["status"] == "resolved"
    assert set(row["mirbase_ids"]) == matures_of(gff, ["hsa-mir-106b", "hsa-mir-93", "hsa-mir-25"])
    (far,) = extract(release, "the miR-379/410 cluster")  # ends 40 precursors apart in 14q32
    assert far["status"] == "ambiguous" and f"more than {MAX_CLUSTER}" in far["reason"]


def test_cluster_named_by_one_member(release, gff):
    (small,) = extract(release, "the miR-302 cluster")
    names = ["hsa-mir-302a", "hsa-mir-302b", "hsa-mir-302c", "hsa-mir-302d", "hsa-mir-367"]
    assert small["status"] == "resolved" and set(small["mirbase_ids"]) == matures_of(gff, names)
    (big,) = extract(release, "the miR-512 cluster")  # C19MC: 46 precursors
    assert big["status"] == "ambiguous" and f"more than {MAX_CLUSTER}" in big["reason"]
    assert len(big["mirbase_ids"]) > 2 * MAX_CLUSTER  # listed all the same


def test_bare_number_with_many_lettered_paralogs_is_ambiguous(release):
    (row,) = extract(release, "miR-520 was high")
    assert row["status"] == "ambiguous" and "lettered paralogs" in row["reason"]
    letters = {n.split("-")[2] for n in row["mirbase_names"]}
    assert len(letters) > MAX_LETTERS
    (few,) = extract(release, "miR-29 was low")
    assert few["status"] == "resolved"


def test_dead_entries_say_so(tmp_path, mirbase_dir):
    for name in ("mature.fa", "aliases.txt", "hairpin.fa", "miFam.dat", "genomes"):
        (tmp_path / name).symlink_to(mirbase_dir / name)
    diff = shared_path("data/mirbase/22.0.diff").read_bytes()
    (tmp_path / "miRNA.diff.gz").write_bytes(gzip.compress(diff))
    (dead,) = extract(release_for(tmp_path), "miR-566 was high")
    assert dead["status"] == "unresolved" and "is dead in miRBase" in dead["reason"]
    (unknown,) = extract(release_for(mirbase_dir), "miR-566 was high")
    assert "miRNA.diff" in unknown["reason"] and "miRBase 22.1" in unknown["reason"]
