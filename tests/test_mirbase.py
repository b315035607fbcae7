"""miRBase readers against the real 22.1 release files."""

from mirlens import mirbase


def test_read_mature_real(mirbase_dir):
    df = mirbase.read_mature(mirbase_dir / "mature.fa")
    assert list(df.columns) == ["mirbase_id", "name", "species", "sequence"]
    row = df.set_index("mirbase_id").loc["MIMAT0000076"]
    assert row["name"] == "hsa-miR-21-5p"
    assert row["species"] == "hsa"
    assert row["sequence"] == "UAGCUUAUCAGACUGAUGUUGA"
    assert (df["species"] == "hsa").sum() == 2656


def test_read_aliases_real(mirbase_dir):
    df = mirbase.read_aliases(mirbase_dir / "aliases.txt")
    star = df[df["mirbase_id"] == "MIMAT0004494"].sort_values("order")
    assert star["alias"].tolist() == ["hsa-miR-21*", "hsa-miR-21-3p"]


def test_gff3_links_and_clusters(mirbase_dir):
    hp, mat = mirbase.read_gff3(mirbase_dir / "genomes" / "hsa.gff3")
    assert len(hp) == 1918
    mir21 = hp.set_index("name").loc["hsa-mir-21", "mirbase_id"]
    assert set(mat.loc[mat["hairpin_id"] == mir21, "mirbase_id"]) == {
        "MIMAT0000076",
        "MIMAT0004494",
    }
    clusters = mirbase.clusters_from_coordinates(hp, 10_000)
    by_name = dict(zip(hp["name"], hp["mirbase_id"], strict=True))
    label = clusters[by_name["hsa-mir-17"]]
    members = sorted(hp.loc[hp["mirbase_id"].isin(clusters[clusters == label].index), "name"])
    assert members == sorted(
        [
            "hsa-mir-17",
            "hsa-mir-18a",
            "hsa-mir-19a",
            "hsa-mir-20a",
            "hsa-mir-19b-1",
            "hsa-mir-92a-1",
        ]  # fmt: skip
    )
    # the paralogous mir-106a~363 cluster on chrX is a different one
    assert clusters[by_name["hsa-mir-106a"]] != label
    # a smaller distance splits clusters, never merges them
    tight = mirbase.clusters_from_coordinates(hp, 100)
    assert tight.nunique() > clusters.nunique()


def test_mifam_and_family_info(mirbase_dir, shared):
    fam = mirbase.read_mifam(mirbase_dir / "miFam.dat")
    let7 = fam[(fam["family"] == "let-7") & fam["hairpin_name"].str.startswith("hsa-")]
    assert {"hsa-let-7a-1", "hsa-mir-98"} <= set(let7["hairpin_name"])
    assert let7["family_id"].nunique() == 1
    zipped = mirbase.read_family_info(
        shared / "mirror/www.targetscan.org/vert_80/vert_80_data_download/miR_Family_Info.txt.zip"
    )
    plain = mirbase.read_family_info(shared / "data/targetscan/miR_Family_Info.txt")
    assert list(zipped.columns) == list(plain.columns)
    human = zipped[zipped["species_id"] == "9606"]
    assert len(human) == 2606
    row = human.set_index("name").loc["hsa-miR-21-5p"]
    assert row["mirbase_id"] == "MIMAT0000076" and row["seed"] == "AGCUUAU"


def test_read_diff(shared):
    diff = mirbase.read_diff(shared / "data/mirbase/22.0.diff")
    hsa = diff[diff["name"].str.startswith("hsa-")]
    assert hsa["tag"].value_counts().to_dict() == {
        "NEW": 156,
        "DELETE": 52,
        "SEQUENCE": 21,
        "NAME": 13,
    }


def test_bad_files_raise_clear_errors(tmp_path):
    import pytest

    from mirlens.errors import MirlensError

    with pytest.raises(MirlensError, match="not found"):
        mirbase.read_mature(tmp_path / "missing.fa")
    bad = tmp_path / "aliases.txt"
    bad.write_text("MIMAT0000076 hsa-miR-21;\n", encoding="utf-8")
    with pytest.raises(MirlensError, match="ACCESSION<TAB>"):
        mirbase.read_aliases(bad)
    fi = tmp_path / "fi.txt"
    fi.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(MirlensError, match="miR_Family_Info"):
        mirbase.read_family_info(fi)


def test_release_loads_fast_enough_and_indexes_hsa(mirbase_dir):
    rel = mirbase.MirbaseRelease(mirbase_dir)
    idx = rel.species("hsa")
    assert idx.mature_name["MIMAT0000076"] == "hsa-miR-21-5p"
    assert idx.dominant[next(iter(idx.hairpin_keys["mir-21"]))] == ["MIMAT0000076"]
    assert idx.mature_old["mir-21*"] == {"MIMAT0004494"}
