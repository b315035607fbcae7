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
