"""Target databases' miRNA names -> miRBase 22 mature accessions (MIMAT).

Databases name miRNAs in their own way: TargetScan uses isoform suffixes
(``hsa-miR-101-3p.1``), family names (``miR-15-5p/16-5p/195-5p``) and names that miRBase
later changed; older miRTarBase releases use pre-arm names (``hsa-miR-21``). Resolution
order: a current accession the source gives, the exact current name, the name without an
isoform suffix, a unique former name (aliases.txt), the name up to case. A former name that
now points at several accessions is *ambiguous* and reported, never guessed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mirlens.errors import MirlensError
from mirlens.mirbase import read_aliases, read_mature

PathLike = str | os.PathLike

MIRNA_METHODS = ("accession", "name", "isoform", "alias", "case", "ambiguous", "unmapped")
_ISOFORM = re.compile(r"\.\d+$")


@dataclass
class MirnaNames:
    species: str
    by_name: dict[str, str]  # current name -> MIMAT
    by_id: dict[str, str]  # MIMAT -> current name
    by_alias: dict[str, tuple[str, ...]]  # former name -> MIMATs
    by_lower: dict[str, str]  # lower-cased current name -> MIMAT (unique only)

    @classmethod
    def from_mirbase(cls, mirbase_dir: PathLike, species: str = "hsa") -> MirnaNames:
        d = Path(mirbase_dir)
        if not d.is_dir():
            raise MirlensError(f"miRBase folder not found: {d}")
        mature = read_mature(d / "mature.fa")
        mature = mature[mature["species"] == species]
        if mature.empty:
            raise MirlensError(f"{d / 'mature.fa'}: no mature miRNAs of species {species!r}")
        by_name = dict(zip(mature["name"], mature["mirbase_id"], strict=True))
        by_id = dict(zip(mature["mirbase_id"], mature["name"], strict=True))
        by_alias: dict[str, tuple[str, ...]] = {}
        if (d / "aliases.txt").is_file():
            al = read_aliases(d / "aliases.txt")
            al = al[al["mirbase_id"].isin(by_id.keys())]
            acc_sets: dict[str, set[str]] = {}
            for alias, acc in zip(al["alias"], al["mirbase_id"], strict=True):
                acc_sets.setdefault(alias, set()).add(acc)
            by_alias = {k: tuple(sorted(v)) for k, v in acc_sets.items()}
        lower: dict[str, set[str]] = {}
        for name, acc in by_name.items():
            lower.setdefault(name.lower(), set()).add(acc)
        by_lower = {k: next(iter(v)) for k, v in lower.items() if len(v) == 1}
        return cls(species, by_name, by_id, by_alias, by_lower)

    def _with_prefix(self, name: str) -> str:
        name = name.strip()
        if (
            name
            and not name.startswith(f"{self.species}-")
            and re.match(r"(?i)(miR|let|lin)-", name)
        ):
            return f"{self.species}-{name}"
        return name

    def resolve_one(self, name: str, accession: str = "") -> tuple[str, str, str]:
        """-> (mirbase_id, method, note)."""
        accession = (accession or "").strip()
        if accession in self.by_id:
            return accession, "accession", ""
        name = self._with_prefix(name or "")
        if not name:
            return "", "unmapped", "empty name"
        if name in self.by_name:
            return self.by_name[name], "name", ""
        base = _ISOFORM.sub("", name)
        if base != name and base in self.by_name:
            return self.by_name[base], "isoform", base
        for candidate in (name, base):
            accs = self.by_alias.get(candidate, ())
            if len(accs) == 1:
                return accs[0], "alias", candidate
            if len(accs) > 1:
                return "", "ambiguous", ";".join(f"{self.by_id[a]}:{a}" for a in accs)
        acc = self.by_lower.get(base.lower())
        if acc:
            return acc, "case", ""
        note = f"accession {accession} not in this release" if accession else ""
        return "", "unmapped", note

    def resolve(
        self,
        names: Iterable[str],
        accessions: Iterable[str] | None = None,
        counts: Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """Resolve distinct (name, accession) pairs -> DataFrame[in_name, in_accession, n,
        mirbase_id, mirna, mirna_map, mirna_note]; merge back on in_name/in_accession.
        ``counts`` gives a row weight per input (for the stats)."""
        names = list(names)
        keys = pd.DataFrame(
            {
                "in_name": names,
                "in_accession": list(accessions) if accessions is not None else [""] * len(names),
            }
        )
        keys = keys.fillna("").astype(str)
        keys["n"] = list(counts) if counts is not None else 1
        keys = keys.groupby(["in_name", "in_accession"], sort=False)["n"].sum().reset_index()
        out = [
            self.resolve_one(n, a)
            for n, a in zip(keys["in_name"], keys["in_accession"], strict=True)
        ]
        res = pd.DataFrame(out, columns=["mirbase_id", "mirna_map", "mirna_note"])
        res.insert(1, "mirna", res["mirbase_id"].map(self.by_id).fillna(""))
        return pd.concat([keys, res], axis=1)

    def expand_family(self, family: str) -> list[str]:
        """A TargetScan-style family name -> member MIMATs (best effort, without family table).

        ``miR-15-5p/16-5p/195-5p``: tokens after the first that start with a digit take the
        ``miR-`` prefix. A token that is not a current name (``miR-15-5p``) expands to the
        letter/number variants of that stem (``miR-15a-5p``, ``miR-15b-5p``). Use the
        family table (miR_Family_Info) instead whenever the database ships one.
        """
        members: list[str] = []
        for i, token in enumerate(t.strip() for t in family.split("/")):
            if not token:
                continue
            if i > 0 and token[0].isdigit():
                token = f"miR-{token}"
            name = self._with_prefix(token)
            acc, method, _ = self.resolve_one(name)
            if acc and method != "case":
                members.append(acc)
                continue
            m = re.match(r"^(.*?-(?:miR|let)-[0-9]+)(-[35]p)?$", name)
            if not m:
                continue
            stem, arm = re.escape(m.group(1)), re.escape(m.group(2) or "")
            pattern = re.compile(rf"^{stem}[a-z]?(-\d+)?{arm}$")
            members.extend(acc for n, acc in self.by_name.items() if pattern.match(n))
        return sorted(set(members))


def mirna_stats(resolved: pd.DataFrame, examples: int = 10) -> dict:
    """Counts of distinct database miRNA names (and rows) per resolution method, with examples."""
    counts = resolved["mirna_map"].value_counts()
    stats: dict = {
        "distinct_names": int(len(resolved)),
        "names": {m: int(counts.get(m, 0)) for m in MIRNA_METHODS},
    }
    stats["mapped"] = int(sum(stats["names"][m] for m in MIRNA_METHODS[:5]))
    stats["unmapped"] = int(stats["names"]["unmapped"] + stats["names"]["ambiguous"])
    w = resolved.groupby("mirna_map")["n"].sum()
    stats["rows"] = {m: int(w.get(m, 0)) for m in MIRNA_METHODS}
    for method in ("unmapped", "ambiguous", "isoform", "alias"):
        sub = resolved[resolved["mirna_map"] == method].head(examples)
        stats[f"{method}_examples"] = [
            {k: v for k, v in {"name": n, "accession": a, "resolved": r, "note": t}.items() if v}
            for n, a, r, t in zip(
                sub["in_name"], sub["in_accession"], sub["mirna"], sub["mirna_note"], strict=True
            )
        ]
    return stats
