"""Normalisation of parsed names to miRBase accessions of one release (``Normaliser``).

- arm or star given (``-5p``, ``*``, ``miR-21 5p``): the mature of that current or old name
  (aliases.txt is the name history: ``miR-21*`` -> hsa-miR-21-3p);
- no arm: the precursor(s) of the name -- current name, old name, paralog copies
  (``miR-16`` -> mir-16-1, mir-16-2), copies under old names (``miR-103`` ->
  mir-103a-1/-2) -- and their matures by the arm policy: ``both`` arms, or the
  ``dominant`` one (the arm that kept the plain name and was never the star strand, from
  the name history); an old mature name with no precursor behind it (``miR-189``) is that
  mature;
- an arm asked that miRBase does not name (``miR-451a-5p`` where only ``miR-451a`` is
  listed): the mature on that arm by its place in the hairpin (gff3 coordinates), else
  ``unresolved`` saying which arm miRBase lists;
- no letter (``miR-29``): all lettered precursors; ``resolved`` when they are at most
  MAX_LETTERS (5) letters forming one miRBase (miFam) or TargetScan seed family, else
  ``ambiguous`` with the candidates listed (``miR-520``: a-h);
- ``X family``: the precursors whose names carry X's stem (prefix and number: ``miR-200b
  family`` is mir-200a/b/c); database families holding other numbers (miFam mir-8 holds
  mir-141, mir-429) are named in the note, not expanded;
- a list before ``family`` (``miR-200b/c family``) or of three or more before ``cluster``
  (``miR-379/410/656 cluster``): the members named, each by the arm policy;
- a cluster by one name (``miR-302 cluster``) or by its ends (``miR-17~92``, ``miR-17-92``,
  ``miR-17/92 cluster``): the miRBase genomic cluster holding every member named (gff3:
  hairpins on one strand, each within ``--cluster-distance`` of the next) when it has at
  most MAX_CLUSTER (10) precursors; of a larger one, for ends, the precursors between
  them; more than 10 precursors, or several clusters fitting: ``ambiguous``, listed;
- species from the prefix (``mmu-``), else the configured default; names found only in
  other species and unknown names are ``unresolved`` with the reason; names deleted from
  miRBase say they are dead in the release when its folder holds ``miRNA.diff`` (or
  ``.gz``; the release files themselves keep no trace of deleted entries: aliases.txt
  lists current accessions only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from mirlens.errors import MirlensError
from mirlens.mirbase import MirbaseRelease, SpeciesIndex
from mirlens.text.grammar import Item

# A bare number ("miR-29") is read as its lettered paralogs when they are at most this many
# letters and one family; "miR-520" (a-h) or "let-7" (a-k) is ambiguous, candidates listed.
MAX_LETTERS = 5
# A cluster named by one member or by its ends expands to at most this many precursors; a
# larger one (the imprinted C14MC and C19MC, the Xq27.3 miR-506~514 cluster) is ambiguous,
# with the precursors listed. The largest well-known polycistrons (miR-17~92, miR-106a~363)
# have 6.
MAX_CLUSTER = 10


def _n_letters(idx: SpeciesIndex, hairpins: Iterable[str]) -> int:
    """Distinct lettered names among ``hairpins`` (copies -1/-2 count once)."""
    return len({re.sub(r"-\d+$", "", idx.hairpin_name[h]) for h in hairpins})


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
                return self._other_arm(idx, species, key, item, hp, how, arm)
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
                family = self._one_family(idx, hp) if _n_letters(idx, hp) <= MAX_LETTERS else ""
                if family:
                    # "miR-29": all of miR-29a/b/c, which are one family: a well-defined set
                    reason = f"{full} has no letter: read as {self._hp_names(idx, hp)} ({family})"
                    return Resolution(tuple(ids), "resolved", reason, tuple(sorted(hp)), True)
                reason = f"{full} has no letter: could be {self._hp_names(idx, hp)}"
                if _n_letters(idx, hp) > MAX_LETTERS:
                    reason += f" ({_n_letters(idx, hp)} lettered paralogs)"
                return Resolution(tuple(ids), "ambiguous", reason, tuple(sorted(hp)), True)
            return Resolution(tuple(ids), "resolved", "; ".join(notes), tuple(sorted(hp)), True)
        if full in idx.mature_keys:
            return self._done(sorted(idx.mature_keys[full]), "", (), False)
        if full in idx.mature_old:
            accs = sorted(idx.mature_old[full])
            note = f"old name {full} -> {';'.join(idx.mature_name[a] for a in accs)}"
            return self._done(accs, note, (), False)
        return self._unresolved(species, full, item)

    def _other_arm(
        self, idx: SpeciesIndex, species: str, key: str, item: Item, hp: set, how: str, arm: str
    ) -> Resolution:
        """An arm (or star: ``arm`` "") asked of precursors whose matures miRBase names
        otherwise (``miR-NNN-3p`` where only ``miR-NNN`` is listed): the mature on that arm
        by its name or its place in the hairpin (gff3 coordinates), else unresolved, saying
        which arms miRBase lists."""
        ms = [m for m in idx.matures_of(hp, "both") if self._arm_of(idx, m) == (arm or "3p")]
        if ms:
            related = how != "lettered" or self._one_family(idx, hp)
            status = "resolved" if related else "ambiguous"
            reason = f"no name {key} in miRBase; {arm or '*'} arm of {self._hp_names(idx, hp)}"
            return Resolution(tuple(ms), status, reason, tuple(sorted(hp)))
        listed = idx.matures_of(hp, "both")
        if not arm or not listed:
            return self._unresolved(species, key, item)
        where = ", ".join(
            f"{idx.mature_name[m]} ({self._arm_of(idx, m) or 'arm unknown'})" for m in listed
        )
        reason = (
            f"no {arm} mature of {self._hp_names(idx, hp)} in this miRBase release: it lists"
            f" only {where}, by name or hairpin coordinates"
        )
        return Resolution((), "unresolved", reason, tuple(sorted(hp)))

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
            reason = f"{idx.deleted[key]} is dead in miRBase {self.release.label}: deleted"
            return Resolution((), "unresolved", reason + " (miRNA.diff)")
        elsewhere = self.other_species(key)
        if elsewhere:
            shown = ", ".join(elsewhere[:5]) + (", ..." if len(elsewhere) > 5 else "")
            reason = f"no {species} {key} in miRBase; named in {shown}"
        else:
            reason = (
                f"{key} is not a {species} miRNA name in miRBase {self.release.label}, current"
                " or former (aliases.txt): never a miRBase name, or an entry deleted by this"
                " release (a miRNA.diff in the miRBase folder tells which)"
            )
        return Resolution((), "unresolved", reason)

    def other_species(self, key: str) -> list[str]:
        return [s for s in self.release.species_of_key(key) if s != self.species]

    # -- groups ----------------------------------------------------------------------
    def _family(self, species: str, items: tuple[Item, ...]) -> tuple[list[str], str, str]:
        """Members of the family named by ``items`` ("let-7", "miR-200", "miR-200b"): the
        precursors whose names carry its stem (prefix and number). The miRBase families
        (miFam) of those precursors are named in the note with their members of other
        numbers, which are not expanded: the text named the stem. Returns ids, expansion
        note, reason."""
        idx = self.index(species)
        hp: set[str] = set()
        for it in items:
            stem = f"{it.prefix}-{it.num}"
            for table in (idx.hairpin_keys, idx.copies, idx.lettered, idx.copies_old):
                hp |= table.get(stem, set())
        if not hp:
            return [], "", "no miRBase precursor carries this family name"
        note = f"precursors named by the stem: {self._hp_names(idx, hp)}"
        for fid, fname in sorted({idx.mifam_of[h] for h in hp if h in idx.mifam_of}):
            others = set(idx.mifam_members[fid]) - hp
            if others:
                note += (
                    f"; miRBase {fid} {fname} also holds {self._hp_names(idx, others)}"
                    " (other numbers: not expanded)"
                )
        return idx.matures_of(hp, self.arm_policy), note, ""

    def named(
        self, species: str, items: tuple[Item, ...], family: bool = False
    ) -> tuple[list[str], str, str, str]:
        """The members a list names before "cluster"/"family" ("miR-15a/16-1 cluster"),
        each as its precursor(s) with matures by the arm policy: what the text named, not
        the genomic cluster or database family around them. Before "family", a member
        without a letter is its stem ("let-7/miR-98 family": let-7a..i and miR-98).
        Returns ids, expansion, status, reason."""
        ids: list[str] = []
        notes: list[str] = []
        statuses: set[str] = set()
        for it in items:
            if family and not it.letter and not it.copy:
                found, _, reason = self.family(species, (it,))
                res = Resolution(tuple(found), "resolved" if found else "unresolved", reason)
            else:
                res = self.resolve(species, it._replace(arm="", star=False))
            statuses.add(res.status)
            ids += [i for i in res.ids if i not in ids]
            if res.status != "resolved":
                notes.append(f"{it.display(species)}: {res.reason}")
        if statuses == {"resolved"}:
            status = "resolved"
        else:
            status = "ambiguous" if ids else "unresolved"
        return ids, "the members named", status, "; ".join(notes)

    def _cluster(
        self, species: str, items: tuple[Item, ...], ranged: bool
    ) -> tuple[list[str], str, str, str]:
        """Precursors of the genomic cluster named by ``items`` (miRBase gff3; a cluster
        is hairpins on one strand, each within the cluster distance of the next): the
        whole cluster holding every member named ("miR-302 cluster", "miR-183-96") when it
        has at most MAX_CLUSTER precursors; of a larger one, for a range ("miR-379~410"),
        those lying between the named ends. More than MAX_CLUSTER precursors, or several
        clusters fitting: ambiguous, listed. Returns ids, expansion, status, reason."""
        idx = self.index(species)
        if not idx.cluster_of:
            return [], "", "unresolved", f"no genome coordinates for {species} (genomes/*.gff3)"
        per_item: list[set[str]] = []
        for it in items:
            hp, _ = self._hairpins(idx, it.base, it.copy)
            if not hp:
                return [], "", "unresolved", self._unresolved(species, it.base, it).reason
            located = {h for h in hp if h in idx.cluster_of}
            if not located:
                return [], "", "unresolved", f"{it.display(species)} has no genome coordinates"
            per_item.append(located)
        labels = self._cluster_labels(idx, per_item)
        if not labels:
            return [], "", "unresolved", "the members named are not in one genomic cluster"
        hp = set()
        for label in labels:
            hp |= self._cluster_span(idx, label, per_item, ranged)
        ids = idx.matures_of(hp, self.arm_policy)
        whole = not ranged or all(len(idx.cluster_members[lab]) <= MAX_CLUSTER for lab in labels)
        how = "of the cluster" if whole else "between the named ends"
        dist = self.release.cluster_distance
        note = (
            f"miRBase gff3 cluster within {dist} bp: {', '.join(sorted(labels))}, precursors"
            f" {how}: {self._hp_names(idx, hp)}"
        )
        if len(labels) > 1:
            return ids, note, "ambiguous", "the name fits several genomic clusters"
        if len(hp) > MAX_CLUSTER:
            reason = f"{len(hp)} precursors, more than {MAX_CLUSTER}: listed, not resolved"
            return ids, note, "ambiguous", reason
        return ids, note, "resolved", ""

    @staticmethod
    def _cluster_labels(idx: SpeciesIndex, per_item: list[set[str]]) -> list[str]:
        """The clusters holding a precursor of every item; for one item with precursors in
        several clusters ("miR-302"), the one cluster holding more than one of them."""
        labels = set.intersection(*({idx.cluster_of[h] for h in hps} for hps in per_item))
        if len(per_item) == 1 and len(labels) > 1:
            hps = per_item[0]
            dense = {lab for lab in labels if sum(idx.cluster_of[h] == lab for h in hps) > 1}
            labels = dense if len(dense) == 1 else labels
        return sorted(labels)

    @staticmethod
    def _cluster_span(
        idx: SpeciesIndex, label: str, per_item: list[set[str]], ranged: bool
    ) -> set[str]:
        members = idx.cluster_members[label]
        if not ranged or len(members) <= MAX_CLUSTER:
            return set(members)
        named = [h for hps in per_item for h in hps if idx.cluster_of[h] == label]
        lo = min(idx.locus[h][0] for h in named)
        hi = max(idx.locus[h][1] for h in named)
        return {h for h in members if lo <= idx.locus[h][0] and idx.locus[h][1] <= hi}
