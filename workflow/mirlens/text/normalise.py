"""Normalisation of parsed names to miRBase accessions of one release (``Normaliser``).

- arm or star given (``-5p``, ``*``, ``miR-21 5p``): the mature of that current or old name
  (aliases.txt is the name history: ``miR-21*`` -> hsa-miR-21-3p);
- no arm: the precursor(s) of the name -- current name, old name, paralog copies
  (``miR-16`` -> mir-16-1, mir-16-2), copies under old names (``miR-103`` ->
  mir-103a-1/-2) -- and their matures by the arm policy: ``both`` arms, or the
  ``dominant`` one (the arm that kept the plain name and was never the star strand, from
  the name history); an old mature name with no precursor behind it (``miR-189``) is that
  mature;
- no letter (``miR-29``): all lettered precursors; ``resolved`` when they form one miRBase
  (miFam) or TargetScan seed family, else ``ambiguous`` with the candidates listed;
- ``X family``: precursors sharing the stem, their miFam families and the TargetScan seed
  families of their dominant arms; ``X~Y``, ``X-Y`` (no such paralog), ``X/Y cluster``: the
  genomic cluster (miRBase gff3, hairpins within ``--cluster-distance`` on one strand)
  holding every member named;
- species from the prefix (``mmu-``), else the configured default; names found only in
  other species, deleted names and unknown names are ``unresolved`` with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from mirlens.errors import MirlensError
from mirlens.mirbase import MirbaseRelease, SpeciesIndex
from mirlens.text.grammar import Item

# ---------------------------------------------------------------------------------------
# Normalisation


@dataclass(frozen=True)
class Resolution:
    ids: tuple[str, ...]
    status: str
    reason: str = ""
    hairpins: tuple[str, ...] = ()
    arm_applied: bool = False


class Normaliser:
    """Maps parsed items to miRBase accessions of one release, memoised per key."""

    def __init__(
        self,
        release: MirbaseRelease,
        species: str = "hsa",
        arm_policy: str = "both",
    ) -> None:
        if arm_policy not in ("both", "dominant"):
            raise MirlensError(f"--arm-policy must be 'both' or 'dominant', not {arm_policy!r}")
        if species not in release.species_codes:
            raise MirlensError(f"species {species!r} is not in miRBase {release.directory}")
        self.release = release
        self.species = species
        self.arm_policy = arm_policy
        self.resolve = lru_cache(maxsize=None)(self._resolve)
        self.family = lru_cache(maxsize=4096)(self._family)
        self.cluster = lru_cache(maxsize=4096)(self._cluster)

    def index(self, species: str) -> SpeciesIndex:
        return self.release.species(species)

    def names(self, species: str, ids: Iterable[str]) -> list[str]:
        idx = self.index(species)
        return [idx.mature_name[i] for i in ids]

    # -- items -----------------------------------------------------------------------
    def _resolve(self, species: str, item: Item) -> Resolution:
        idx = self.index(species)
        policy = self.arm_policy
        base = item.base
        copy = item.copy
        arm = item.arm
        # "miR-17-5" (old style for -5p) when no paralog copy 5 exists
        if copy in ("3", "5") and not arm and f"{base}-{copy}" not in idx.hairpin_keys:
            copy, arm = "", f"{copy}p"
        full = f"{base}-{copy}" if copy else base
        notes: list[str] = []

        if arm or item.star:
            key = full + ("*" if item.star and not arm else f"-{arm}" if arm else "")
            accs = idx.mature_keys.get(key)
            if not accs and key in idx.mature_old:
                accs = idx.mature_old[key]
                notes.append(
                    f"old name {key} -> {';'.join(idx.mature_name[a] for a in sorted(accs))}"
                )
            if accs:
                return self._done(sorted(accs), "; ".join(notes), (), False)
            hp, how = self._hairpins(idx, base, copy)
            if hp:
                ms = [
                    m for m in idx.matures_of(hp, "both") if self._arm_of(idx, m) == (arm or "3p")
                ]
                if ms:
                    related = how != "lettered" or self._one_family(idx, hp)
                    status = "resolved" if related else "ambiguous"
                    reason = (
                        f"no name {key} in miRBase; {arm or '*'} arm of {self._hp_names(idx, hp)}"
                    )
                    return Resolution(tuple(ms), status, reason, tuple(sorted(hp)))
            return self._unresolved(species, key, item)

        hp, how = self._hairpins(idx, base, copy)
        if hp:
            ids = idx.matures_of(hp, policy)
            if how == "old":
                notes.append(f"old precursor name {full} -> {self._hp_names(idx, hp)}")
            if how == "copies" and len(hp) > 1:
                notes.append(f"paralogs {self._hp_names(idx, hp)}")
            if policy == "dominant":
                undetermined = [h for h in hp if not idx.has_dominant(h)]
                if undetermined:
                    notes.append(
                        "no dominant arm recorded for " + self._hp_names(idx, undetermined)
                    )
            if how == "lettered":
                family = self._one_family(idx, hp)
                if family:
                    # "miR-29": all of miR-29a/b/c, which are one family: a well-defined set
                    reason = f"{full} has no letter: read as {self._hp_names(idx, hp)} ({family})"
                    return Resolution(tuple(ids), "resolved", reason, tuple(sorted(hp)), True)
                reason = f"{full} has no letter: could be {self._hp_names(idx, hp)}"
                return Resolution(tuple(ids), "ambiguous", reason, tuple(sorted(hp)), True)
            return Resolution(tuple(ids), "resolved", "; ".join(notes), tuple(sorted(hp)), True)
        if full in idx.mature_keys:
            return self._done(sorted(idx.mature_keys[full]), "", (), False)
        if full in idx.mature_old:
            accs = sorted(idx.mature_old[full])
            note = f"old name {full} -> {';'.join(idx.mature_name[a] for a in accs)}"
            return self._done(accs, note, (), False)
        return self._unresolved(species, full, item)

    def _done(self, ids, reason, hp, arm_applied) -> Resolution:
        return Resolution(tuple(ids), "resolved", reason, tuple(hp), arm_applied)

    @staticmethod
    def _one_family(idx: SpeciesIndex, hairpins: set[str]) -> str:
        """The one miRBase family (miFam) or TargetScan seed family that all hairpins (or
        their dominant matures) belong to, else ""."""
        fams = {idx.mifam_of.get(h) for h in hairpins}
        if len(fams) == 1 and None not in fams:
            fid, fname = fams.pop()
            return f"one miRBase family, {fid} {fname}"
        seeds = {idx.seed_family_of.get(m) for h in hairpins for m in idx.dominant.get(h, [])}
        if len(seeds) == 1 and None not in seeds:
            return f"one TargetScan seed family, {seeds.pop()}"
        return ""

    @staticmethod
    def _hp_names(idx: SpeciesIndex, hp: Iterable[str]) -> str:
        return ", ".join(sorted(idx.hairpin_name[h] for h in hp))

    @staticmethod
    def _hairpins(idx: SpeciesIndex, base: str, copy: str) -> tuple[set[str], str]:
        full = f"{base}-{copy}" if copy else base
        if full in idx.hairpin_keys:
            return set(idx.hairpin_keys[full]), "exact"
        if full in idx.hairpin_old:
            return set(idx.hairpin_old[full]), "old"
        if copy:
            return set(), ""
        if base in idx.copies:
            return set(idx.copies[base]), "copies"
        if base in idx.copies_old:
            return set(idx.copies_old[base]), "old"
        if base in idx.lettered:
            return set(idx.lettered[base]), "lettered"
        return set(), ""

    @staticmethod
    def _arm_of(idx: SpeciesIndex, mature: str) -> str:
        name = idx.mature_name[mature]
        if name.endswith(("-5p", "-3p")):
            return name[-2:]
        return idx.arm_from_coordinates(mature) or ""

    def _unresolved(self, species: str, key: str, item: Item) -> Resolution:
        idx = self.index(species)
        if key in idx.deleted:
            return Resolution((), "unresolved", f"{idx.deleted[key]} was deleted from miRBase")
        elsewhere = self.other_species(key)
        if elsewhere:
            shown = ", ".join(elsewhere[:5]) + (", ..." if len(elsewhere) > 5 else "")
            reason = f"no {species} {key} in miRBase; named in {shown}"
        else:
            reason = (
                f"{key} is not a {species} miRNA name in this miRBase release, current or in the"
                " name history of its entries (never named, or deleted earlier)"
            )
        return Resolution((), "unresolved", reason)

    def other_species(self, key: str) -> list[str]:
        return [s for s in self.release.species_of_key(key) if s != self.species]

    # -- groups ----------------------------------------------------------------------
    def _family(self, species: str, items: tuple[Item, ...]) -> tuple[list[str], str, str]:
        """Members of the family named by ``items`` (``let-7``, ``miR-200``): hairpins whose
        names extend the stem, the miRBase families (miFam) of those hairpins, and the
        TargetScan seed families of their matures. Returns ids, expansion note, reason."""
        idx = self.index(species)
        hp: set[str] = set()
        for it in items:
            full = f"{it.base}-{it.copy}" if it.copy else it.base
            for table in (idx.hairpin_keys, idx.copies, idx.lettered):
                hp |= table.get(full, set())
            if not it.letter:
                hp |= idx.lettered.get(it.base, set())
        if not hp:
            return [], "", "no miRBase precursor carries this family name"
        sources = []
        fams = sorted({idx.mifam_of[h] for h in hp if h in idx.mifam_of})
        for fid, fname in fams:
            hp |= set(idx.mifam_members[fid])
            sources.append(f"miRBase {fid} {fname}")
        ids = idx.matures_of(hp, self.arm_policy)
        # seed families of the dominant (family-defining) arms whose TargetScan name carries
        # the stem asked for; minor arms' seed families are unrelated to the family's name
        major = idx.matures_of(hp, "dominant")
        seed = sorted({idx.seed_family_of[m] for m in major if m in idx.seed_family_of})
        stems = {re.sub(r"^(mir|let|lin)-", "", it.base) for it in items}
        for fname in seed:
            if any(re.search(rf"(?<![\d]){re.escape(s)}(?![\d])", fname) for s in stems):
                for m in idx.seed_family_members[fname]:
                    if m not in ids:
                        ids.append(m)
                sources.append(f"TargetScan {fname}")
        if not sources:
            sources.append("miRBase names sharing the stem")
        return ids, "; ".join(sources), ""

    def _cluster(self, species: str, items: tuple[Item, ...]) -> tuple[list[str], str, str, str]:
        """Hairpins of the genomic cluster(s) holding every listed member (miRBase gff3,
        hairpins within the cluster distance on one strand). Returns ids, expansion, status,
        reason."""
        idx = self.index(species)
        if not idx.cluster_of:
            return [], "", "unresolved", f"no genome coordinates for {species} (genomes/*.gff3)"
        per_item = []
        for it in items:
            hp, _ = self._hairpins(idx, it.base, it.copy)
            if not hp:
                reason = self._unresolved(species, it.base, it).reason
                return [], "", "unresolved", reason
            labels = {idx.cluster_of[h] for h in hp if h in idx.cluster_of}
            if len(items) == 1 and len(labels) > 1:
                # "miR-302 cluster": the locus holding several of the named stem's hairpins
                dense = {
                    lab for lab in labels
                    if sum(idx.cluster_of.get(h) == lab for h in hp) > 1
                }  # fmt: skip
                labels = dense if len(dense) == 1 else labels
            if not labels:
                return [], "", "unresolved", f"{it.display(species)} has no genome coordinates"
            per_item.append(labels)
        common = set.intersection(*per_item)
        if not common:
            return [], "", "unresolved", "the members named are not in one genomic cluster"
        hp = {h for label in common for h in idx.cluster_members[label]}
        ids = idx.matures_of(hp, self.arm_policy)
        note = ", ".join(
            f"{label} ({self._hp_names(idx, idx.cluster_members[label])})"
            for label in sorted(common)
        )
        status = "resolved" if len(common) == 1 else "ambiguous"
        reason = "" if len(common) == 1 else "the name fits several genomic clusters"
        dist = self.release.cluster_distance
        return ids, f"miRBase gff3 cluster within {dist} bp: {note}", status, reason
