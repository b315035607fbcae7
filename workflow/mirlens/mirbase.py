"""miRBase release files: mature/hairpin sequences, name history, families, clusters.

Readers return small DataFrames; :class:`MirbaseRelease` reads one download folder
(``--mirbase DIR``: ``mature.fa``, ``aliases.txt``, optional ``hairpin.fa``, ``miFam.dat``,
``genomes/<species>.gff3``, ``miRNA.diff``) and :class:`SpeciesIndex` joins it into the
lookups name normalisation needs, built on first use per species (hsa: well under 2 s).

What the data supports, and what it does not:

- ``aliases.txt`` lists, per accession *current in the release*, its names in order of
  first use (the name history). Old names and renames resolve through it; names of
  accessions deleted before the release are simply absent (reported as unknown).
  A ``miRNA.diff`` in the folder adds "deleted in this release" for the names it lists.
- hairpin -> mature links and coordinates come from ``genomes/<species>.gff3``
  (``Derives_from``); for species without one, a mature is linked to the precursor(s) its
  name derives from, checked by sequence containment in ``hairpin.fa``.
- clusters: hairpins on one chromosome strand whose gap to the previous one is at most
  the distance (miRBase: 10 kb), single linkage; only species with a gff3.
- the dominant arm is the one whose name history holds the plain name (``hsa-miR-21``)
  and never a star name; when the history does not tell, both arms are kept.
- families: ``miFam.dat`` (hairpin level; the mirror's copy is from release ~18, so
  families defined later are missing) and TargetScan ``miR_Family_Info.txt`` seed
  families (mature level, by accession).
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pandas as pd

from mirlens.errors import MirlensError

PathLike = str | os.PathLike


def _require(path: PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"miRBase file not found: {path}")
    return path


def _read_fasta(path: PathLike, id_col: str) -> pd.DataFrame:
    """miRBase FASTA headers are ``>name ACCESSION Genus species description``."""
    from Bio import SeqIO  # here: most jobs load the release from its cache, not FASTA

    rows = []
    with open(_require(path), encoding="utf-8") as fh:
        for rec in SeqIO.parse(fh, "fasta"):
            parts = rec.description.split()
            if len(parts) < 2:
                raise MirlensError(f"{path}: malformed FASTA header {rec.description!r}")
            name = parts[0]
            rows.append(
                (
                    parts[1],
                    name,
                    name.split("-", 1)[0],
                    str(rec.seq).upper().replace("T", "U"),
                )
            )
    return pd.DataFrame(rows, columns=[id_col, "name", "species", "sequence"])


def read_mature(path: PathLike) -> pd.DataFrame:
    """``mature.fa`` -> columns mirbase_id (MIMAT), name, species (hsa), sequence (RNA)."""
    return _read_fasta(path, "mirbase_id")


def read_hairpins(path: PathLike) -> pd.DataFrame:
    """``hairpin.fa`` -> columns mirbase_id (MI), name, species, sequence (RNA)."""
    return _read_fasta(path, "mirbase_id")


def read_aliases(path: PathLike) -> pd.DataFrame:
    """``aliases.txt`` (``ACC<TAB>name1;name2;``) -> one row per (mirbase_id, alias).

    Names are in the file's order, which is the name history (first to current);
    ``order`` keeps that position so callers can tell old names from the current one.
    """
    rows = []
    with open(_require(path), encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            acc, sep, names = line.partition("\t")
            if not sep:
                raise MirlensError(f"{path}:{lineno}: expected 'ACCESSION<TAB>names;'")
            for order, alias in enumerate(n for n in names.split(";") if n.strip()):
                rows.append((acc.strip(), alias.strip(), order))
    return pd.DataFrame(rows, columns=["mirbase_id", "alias", "order"])


def read_gff3(path: PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """miRBase ``genomes/<sp>.gff3`` -> (hairpins, matures) with coordinates.

    hairpins: mirbase_id, name, chrom, start, end, strand. matures: mirbase_id, name,
    chrom, start, end, strand, hairpin_id (``Derives_from``). A mature made by paralog
    hairpins appears once per hairpin, which is exactly the hairpin -> mature link.
    """
    hairpins, matures = [], []
    with open(_require(path), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 9:
                continue
            attrs = dict(kv.split("=", 1) for kv in cols[8].split(";") if "=" in kv)
            row = [attrs.get("ID", ""), attrs.get("Name", ""), cols[0], int(cols[3]), int(cols[4])]
            row.append(cols[6])
            if cols[2] == "miRNA_primary_transcript":
                hairpins.append(row)
            elif cols[2] == "miRNA":
                # IDs of matures made by several loci carry a suffix (MIMAT0000062_1)
                row[0] = row[0].split("_", 1)[0]
                matures.append([*row, attrs.get("Derives_from", "")])
    cols_h = ["mirbase_id", "name", "chrom", "start", "end", "strand"]
    return pd.DataFrame(hairpins, columns=cols_h), pd.DataFrame(
        matures, columns=[*cols_h, "hairpin_id"]
    )


def clusters_from_coordinates(hairpins: pd.DataFrame, distance: int = 10_000) -> pd.Series:
    """Cluster id per hairpin: hairpins on the same chromosome and strand whose gap to the
    previous one is <= ``distance`` bp share a cluster (miRBase's 10 kb definition,
    single linkage). Returns a Series mirbase_id -> cluster label like ``chr13:+:91347820``.
    """
    out: dict[str, str] = {}
    if hairpins.empty:
        return pd.Series(out, dtype=str)
    df = hairpins.sort_values(["chrom", "strand", "start", "end", "mirbase_id"])
    label, last_end, last_key = "", -(10**12), None
    for acc, chrom, strand, start, end in df[
        ["mirbase_id", "chrom", "strand", "start", "end"]
    ].itertuples(index=False):
        key = (chrom, strand)
        if key != last_key or start - last_end > distance:
            label = f"{chrom}:{strand}:{start}"
            last_end = end
        last_end = max(last_end, end)
        last_key = key
        out[acc] = label
    return pd.Series(out, dtype=str)


def read_mifam(path: PathLike) -> pd.DataFrame:
    """``miFam.dat`` (EMBL-like AC/ID/MI/``//``) -> family_id (MIPF), family, hairpin_id,
    hairpin_name."""
    rows, acc, fam = [], "", ""
    with open(_require(path), encoding="utf-8") as fh:
        for line in fh:
            tag, _, value = line.rstrip("\n").partition(" ")
            value = value.strip()
            if tag == "AC":
                acc = value
            elif tag == "ID":
                fam = value
            elif tag == "MI":
                parts = value.split()
                rows.append((acc, fam, parts[0], parts[1] if len(parts) > 1 else ""))
            elif tag == "//":
                acc = fam = ""
    return pd.DataFrame(rows, columns=["family_id", "family", "hairpin_id", "hairpin_name"])


def read_family_info(path: PathLike) -> pd.DataFrame:
    """TargetScan ``miR_Family_Info.txt`` (or the .zip it ships in) -> family, seed,
    species_id, name, mirbase_id, conservation. Rows without an accession are kept
    (isoforms such as ``hsa-miR-101-3p.2``) with an empty mirbase_id."""
    path = _require(path)
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    # header spelling differs by release ("miR_family" in 7.x, "miR family" in 8.0)
    df.columns = [re.sub(r"[^a-z0-9+]", "", c.lower()) for c in df.columns]
    need = ["mirfamily", "seed+m8", "speciesid", "mirbaseid", "mirbaseaccession"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise MirlensError(f"{path}: not a TargetScan miR_Family_Info file (missing {missing})")
    return pd.DataFrame(
        {
            "family": df["mirfamily"],
            "seed": df["seed+m8"],
            "species_id": df["speciesid"],
            "name": df["mirbaseid"],
            "mirbase_id": df["mirbaseaccession"].str.strip(),
            "conservation": df.get("familyconservation", ""),
        }
    )


def read_diff(path: PathLike) -> pd.DataFrame:
    """miRBase ``miRNA.diff`` (``ACC<TAB>ID<TAB>TAG``; ``#`` comments; ``.gz`` too) ->
    mirbase_id, name, tag."""
    rows = []
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(_require(path), "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3:
                rows.append((cols[0].strip(), cols[1].strip(), cols[2].strip()))
    return pd.DataFrame(rows, columns=["mirbase_id", "name", "tag"])


# --------------------------------------------------------------------------------------
# Index: the lookups name normalisation needs, for one species at a time.

SPECIES_PREFIX = re.compile(r"^[a-z]{2,5}\d?[a-z]?-(?=(?:mir|let|lin|bantam|iab|lsy)-)", re.I)
ARM_SUFFIX = re.compile(r"-[35]p$")
COPY_SUFFIX = re.compile(r"-\d+$")
# taxonomy ids used by TargetScan's Species_ID column
TAXON = {
    "hsa": "9606",
    "mmu": "10090",
    "rno": "10116",
    "bta": "9913",
    "cfa": "9615",
    "gga": "9031",
    "xtr": "8364",
    "dre": "7955",
    "mml": "9544",
    "ptr": "9598",
}


def name_key(name: str) -> str:
    """Case-folded name without species prefix: ``hsa-miR-21-5p`` -> ``mir-21-5p``.

    miRBase spells precursors ``mir`` and matures ``miR``; the key drops that difference
    because authors do not keep it. Which one is meant is decided by the caller."""
    return SPECIES_PREFIX.sub("", name.strip()).lower()


def _is_plain(key: str) -> bool:
    """A mature name that carries neither an arm suffix nor a star (``mir-21``)."""
    return not key.endswith("*") and not ARM_SUFFIX.search(key)


class SpeciesIndex:
    """Name and structure lookups of one species in one miRBase release."""

    def __init__(self, species: str, release: MirbaseRelease) -> None:
        self.species = species
        mat = release.mature[release.mature["species"] == species]
        self.mature_name: dict[str, str] = dict(zip(mat["mirbase_id"], mat["name"], strict=True))
        self.mature_seq: dict[str, str] = dict(zip(mat["mirbase_id"], mat["sequence"], strict=True))
        hp = release.hairpins[release.hairpins["species"] == species]
        self.hairpin_name: dict[str, str] = dict(zip(hp["mirbase_id"], hp["name"], strict=True))
        hp_seq = dict(zip(hp["mirbase_id"], hp["sequence"], strict=True))

        self._index_names(release)

        # hairpin -> matures: genome coordinates (Derives_from) where there are any,
        # else miRBase's naming rule checked by sequence containment
        self.coords = release.coordinates.get(species)
        self.hairpin_matures: dict[str, list[str]] = {}
        if self.coords is not None:
            hp_c, mat_c = self.coords
            for h, m in zip(mat_c["hairpin_id"], mat_c["mirbase_id"], strict=True):
                if m in self.mature_name and m not in self.hairpin_matures.get(h, []):
                    self.hairpin_matures.setdefault(h, []).append(m)
            for acc, name in zip(hp_c["mirbase_id"], hp_c["name"], strict=True):
                self.hairpin_name.setdefault(acc, name)
                self.hairpin_keys.setdefault(name_key(name), set()).add(acc)
        else:
            self._link_by_name(hp_seq)
        self.mature_hairpins: dict[str, list[str]] = {}
        for h, ms in self.hairpin_matures.items():
            for m in ms:
                self.mature_hairpins.setdefault(m, []).append(h)

        # paralog copies (mir-16-1, mir-16-2 -> mir-16) and lettered members (mir-29a..c)
        self.copies: dict[str, set[str]] = {}
        self.lettered: dict[str, set[str]] = {}
        for acc, name in self.hairpin_name.items():
            key = name_key(name)
            stem = COPY_SUFFIX.sub("", key)
            self.copies.setdefault(stem, set()).add(acc)
            m = re.match(r"^(.*?\d+)[a-z]+$", stem)
            if m:
                self.lettered.setdefault(m.group(1), set()).add(acc)
        # copies under old names (hsa-mir-103-1/-2 became hsa-mir-103a-1/-2)
        self.copies_old: dict[str, set[str]] = {}
        for key, accs in self.hairpin_old.items():
            if COPY_SUFFIX.search(key):
                self.copies_old.setdefault(COPY_SUFFIX.sub("", key), set()).update(accs)

        self.dominant = {h: self._dominant(ms) for h, ms in self.hairpin_matures.items()}

        self._index_clusters(release)

        self._index_families(release)
        # deleted accessions (only if a miRNA.diff was supplied)
        self.deleted: dict[str, str] = {}
        if release.diff is not None:
            d = release.diff[release.diff["tag"] == "DELETE"]
            for name in d["name"]:
                if SPECIES_PREFIX.match(name) and name.split("-", 1)[0] == species:
                    self.deleted[name_key(name)] = name

    def _index_names(self, release: MirbaseRelease) -> None:
        """Current and historical names -> accessions (aliases.txt is the name history)."""
        self.mature_keys: dict[str, set[str]] = {}
        self.mature_old: dict[str, set[str]] = {}
        self.hairpin_keys: dict[str, set[str]] = {}
        self.hairpin_old: dict[str, set[str]] = {}
        for acc, name in self.mature_name.items():
            self.mature_keys.setdefault(name_key(name), set()).add(acc)
        for acc, name in self.hairpin_name.items():
            self.hairpin_keys.setdefault(name_key(name), set()).add(acc)
        self.history: dict[str, list[str]] = {}
        al = release.aliases
        al = al[al["mirbase_id"].isin(self.mature_name.keys() | self.hairpin_name.keys())]
        for acc, alias in zip(al["mirbase_id"], al["alias"], strict=True):
            self.history.setdefault(acc, []).append(alias)
            key = name_key(alias)
            if acc in self.mature_name:
                if acc not in self.mature_keys.get(key, ()):
                    self.mature_old.setdefault(key, set()).add(acc)
            elif acc not in self.hairpin_keys.get(key, ()):
                self.hairpin_old.setdefault(key, set()).add(acc)

    def _index_clusters(self, release: MirbaseRelease) -> None:
        """Clusters (hairpin level, from coordinates) and each hairpin's (start, end)."""
        self.cluster_of: dict[str, str] = {}
        self.cluster_members: dict[str, list[str]] = {}
        self.locus: dict[str, tuple[int, int]] = {}
        if self.coords is None:
            return
        hp_c = self.coords[0]
        cl = clusters_from_coordinates(hp_c, release.cluster_distance)
        self.cluster_of = cl.to_dict()
        for h, label in self.cluster_of.items():
            self.cluster_members.setdefault(label, []).append(h)
        for h, start, end in zip(hp_c["mirbase_id"], hp_c["start"], hp_c["end"], strict=True):
            self.locus[h] = (int(start), int(end))

    def _index_families(self, release: MirbaseRelease) -> None:
        """miRBase families (hairpin level; accessions are stable across releases) and
        TargetScan seed families (mature level)."""
        self.mifam_of: dict[str, tuple[str, str]] = {}
        self.mifam_members: dict[str, list[str]] = {}
        fam = release.mifam
        if fam is not None:
            fam = fam[fam["hairpin_id"].isin(self.hairpin_name.keys())]
            for fid, fname, h in zip(
                fam["family_id"], fam["family"], fam["hairpin_id"], strict=True
            ):
                self.mifam_of[h] = (fid, fname)
                self.mifam_members.setdefault(fid, []).append(h)
        self.seed_family_of: dict[str, str] = {}
        self.seed_family_members: dict[str, list[str]] = {}
        fi = release.family_info
        if fi is not None and self.species in TAXON:
            fi = fi[
                (fi["species_id"] == TAXON[self.species]) & fi["mirbase_id"].isin(self.mature_name)
            ]
            for fname, acc in zip(fi["family"], fi["mirbase_id"], strict=True):
                self.seed_family_of.setdefault(acc, fname)
                self.seed_family_members.setdefault(fname, []).append(acc)

    def _link_by_name(self, hp_seq: dict[str, str]) -> None:
        by_stem: dict[str, set[str]] = {}  # hairpins by name without copy number, built once
        for h, n in self.hairpin_name.items():
            by_stem.setdefault(COPY_SUFFIX.sub("", name_key(n)), set()).add(h)
        for acc, name in self.mature_name.items():
            base = ARM_SUFFIX.sub("", name_key(name))
            cands = self.hairpin_keys.get(base) or by_stem.get(base, set())
            seq = self.mature_seq[acc]
            for h in sorted(cands):
                if seq in hp_seq.get(h, ""):
                    self.hairpin_matures.setdefault(h, []).append(acc)

    def _dominant(self, matures: list[str]) -> list[str]:
        """The arm that kept the plain name (``hsa-miR-21`` -> ``-5p``) and was never the
        star strand; both arms when the name history does not tell."""
        if len(matures) == 1:
            return list(matures)
        hist = {
            m: [name_key(n) for n in self.history.get(m, [self.mature_name[m]])] for m in matures
        }
        major = [
            m
            for m in matures
            if any(_is_plain(k) for k in hist[m]) and not any(k.endswith("*") for k in hist[m])
        ]
        if len(major) == 1:
            return major
        unstarred = [m for m in matures if not any(k.endswith("*") for k in hist[m])]
        if len(unstarred) == 1:
            return unstarred
        return sorted(matures)

    def arm_from_coordinates(self, mature: str) -> str | None:
        """``5p``/``3p`` from where the mature lies in its hairpin (gff3), else None."""
        if self.coords is None:
            return None
        if not hasattr(self, "_arm_cache"):
            hp_c, mat_c = self.coords
            hp = {
                a: (s, e, st)
                for a, s, e, st in zip(
                    hp_c["mirbase_id"], hp_c["start"], hp_c["end"], hp_c["strand"], strict=True
                )
            }
            self._arm_cache: dict[str, str] = {}
            for m, s, e, h in zip(
                mat_c["mirbase_id"], mat_c["start"], mat_c["end"], mat_c["hairpin_id"], strict=True
            ):
                if h in hp and m not in self._arm_cache:
                    hs, he, strand = hp[h]
                    five = (s - hs) < (he - e)
                    self._arm_cache[m] = "5p" if five == (strand == "+") else "3p"
        return self._arm_cache.get(mature)

    def matures_of(self, hairpins: list[str] | set[str], policy: str) -> list[str]:
        out: list[str] = []
        for h in sorted(hairpins):
            for m in (
                self.dominant.get(h, [])
                if policy == "dominant"
                else self.hairpin_matures.get(h, [])
            ):
                if m not in out:
                    out.append(m)
        return out

    def has_dominant(self, hairpin: str) -> bool:
        ms = self.hairpin_matures.get(hairpin, [])
        return len(self.dominant.get(hairpin, [])) < len(ms) or len(ms) == 1


class MirbaseRelease:
    """All files of one miRBase download folder, read once; per-species indexes on demand."""

    def __init__(
        self,
        directory: PathLike,
        family_info: PathLike | None = None,
        cluster_distance: int = 10_000,
    ) -> None:
        d = Path(directory)
        if not d.is_dir():
            raise MirlensError(f"miRBase folder not found: {d}")
        self.directory = d
        self.label = d.name  # the release folder's name: "22.1"
        self.cluster_distance = cluster_distance
        self.mature = read_mature(d / "mature.fa")
        self.aliases = read_aliases(d / "aliases.txt")
        self.hairpins = (
            read_hairpins(d / "hairpin.fa")
            if (d / "hairpin.fa").is_file()
            else pd.DataFrame(columns=["mirbase_id", "name", "species", "sequence"])
        )
        self.coordinates: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        for gff in sorted((d / "genomes").glob("*.gff3")) if (d / "genomes").is_dir() else []:
            self.coordinates[gff.stem] = read_gff3(gff)
        self.mifam = read_mifam(d / "miFam.dat") if (d / "miFam.dat").is_file() else None
        diff = next((d / n for n in ("miRNA.diff", "miRNA.diff.gz") if (d / n).is_file()), None)
        self.diff = read_diff(diff) if diff else None
        self.family_info = read_family_info(family_info) if family_info else None
        self.species_codes = set(self.mature["species"]) | set(self.hairpins["species"])
        self._species: dict[str, SpeciesIndex] = {}
        self._species_of_key: dict[str, list[str]] | None = None

    def species_of_key(self, key: str) -> list[str]:
        """Species (sorted) with a mature or hairpin named ``key`` (``name_key``; arms
        dropped too), for telling "named only in other species" from "never named"."""
        if self._species_of_key is None:
            found: dict[str, set[str]] = {}
            for frame in (self.mature, self.hairpins):
                for name, sp in zip(frame["name"], frame["species"], strict=True):
                    k = name_key(name)
                    found.setdefault(k, set()).add(sp)
                    found.setdefault(ARM_SUFFIX.sub("", k), set()).add(sp)
            self._species_of_key = {k: sorted(v) for k, v in found.items()}
        return self._species_of_key.get(key, [])

    def species(self, code: str) -> SpeciesIndex:
        if code not in self._species:
            self._species[code] = SpeciesIndex(code, self)
        return self._species[code]
