"""Mentions of one document (``Extractor``): heads, their continuations and group words
read into parts, normalised, and turned into records.

A lone head (the common case) is normalised once per spelling and copied, so the cost per
mention is a few dict hits; ``X-Y/Z-W`` (two ranges) is two clusters, and a plural (``the
miR-200 and miR-34 families``) makes every listed name a family or cluster; host genes
(``MIR155HG``) are reported as ``host_gene``, never mapped.
"""

from __future__ import annotations

import re
from operator import itemgetter

from mirlens.text.grammar import (
    _JOIN_PREFIXED,
    _LIST_JOINERS,
    _PLURAL_WORDS,
    _RANGE_JOINERS,
    _SPECIAL,
    CONT,
    GROUP_WORD,
    HEAD,
    HEAD_AT,
    NOT_MIRNA_AFTER,
    SPECIES_BEFORE,
    TAIL,
    TRANSLATE,
    WEAK_PREFIX,
    Item,
    _ends_in_plural_group,
    _item_from,
    _item_from_gene,
    _Part,
    candidates,
)
from mirlens.text.normalise import Normaliser, Resolution
from mirlens.text.sentences import add_sentences

_SPAN = itemgetter("start", "end")


def _head_offsets(work: str, lower: str) -> list[int]:
    """Offsets where a head may start: the case-sensitive candidate scan of the lower-cased
    text is several times faster than a case-insensitive HEAD search; lower() may change
    the length of rare characters, and then HEAD itself is searched."""
    if len(lower) == len(work):
        return candidates(lower)
    return [c.start() for c in HEAD_AT.finditer(work)]


def _species_before(work: str, s: int) -> str:
    """The species (or pre-/pri-) prefix written before a head at ``s`` ("hsa-"), else ""."""
    if s and work[s - 1] == "-":
        b = SPECIES_BEFORE.search(work, max(0, s - 8), s)
        return b.group(1) if b else ""
    return ""


_MEMO_LIMIT = 50_000  # spellings remembered by an Extractor


def _segments(split: list[_Part]) -> list[list[_Part]]:
    """Runs of items joined by '/', '~' or '-': a list joiner starts a new one; so does '/'
    between two ranges ("miR-17-92/miR-106b-25" names two clusters)."""
    segments: list[list[_Part]] = []
    ranged = False  # the current segment holds a range joiner
    for j, p in enumerate(split):
        after = split[j + 1].joiner if j + 1 < len(split) else ""
        if (
            not segments
            or p.joiner in _LIST_JOINERS
            or (p.joiner == "/" and ranged and after in _RANGE_JOINERS)
        ):
            segments.append([p])
            ranged = False
        else:
            segments[-1].append(p)
            ranged = ranged or p.joiner in _RANGE_JOINERS
    return segments


MAX_LABEL = 120  # characters of an expression quoted in ``expansion``


def _label(text: str, start: int, end: int) -> str:
    """The expression ``text[start:end]`` with its spaces collapsed, for ``expansion``;
    a long one (an enumeration of hundreds of names) as its ends around " ... ", so that
    its members' rows do not each repeat it whole."""
    if end - start > MAX_LABEL * 2:
        half = MAX_LABEL // 2
        return f"{_label(text, start, start + half)} ... {_label(text, end - half, end)}"
    label = " ".join(text[start:end].split())
    if len(label) > MAX_LABEL:
        return f"{label[: MAX_LABEL // 2]} ... {label[-MAX_LABEL // 2 :]}"
    return label


def _letter_parts(text: str, p: _Part) -> list[_Part]:
    """ "miR-34bc" as miR-34b (up to the second letter) and c (each further letter, the last
    up to the end of the part); an arm written after the run applies to each."""
    it = p.item
    written = text[p.start : p.end].lower()
    at = p.start + written.rfind(f"{it.num}{it.letter}") + len(it.num)
    ends = [at + i + 1 for i in range(len(it.letter))]
    ends[-1] = p.end
    starts = [p.start, *ends[:-1]]
    copies = [""] * (len(it.letter) - 1) + [it.copy]
    return [
        _Part(s0, e0, it._replace(letter=c, copy=cp), p.joiner if i == 0 else "/")
        for i, (s0, e0, c, cp) in enumerate(zip(starts, ends, it.letter, copies, strict=True))
    ]


_OFFSETS = ("start", "end", "group_start", "group_end")


def _shifted(row: dict, by: int) -> dict:
    """``row`` with its offsets moved by ``by``."""
    return {**row, **{k: row[k] + by for k in _OFFSETS}}


def _stands_alone(work: str, end: int, plural_doc: bool) -> bool:
    """Nothing continues the name ending at ``end``, or only another full name after a list
    joiner ("miR-1, miR-22"), unless the list ends in a plural group word ("miR-200 and
    miR-34 families"; only looked for when the document has one, ``plural_doc``)."""
    t = TAIL.match(work, end)
    return t is None or (
        t["cpfx"] is not None
        and t["join"].strip() not in _JOIN_PREFIXED
        and not (plural_doc and _ends_in_plural_group(work, end))
    )


class Extractor:
    """Mention records of documents, normalised by one ``Normaliser``."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.norm = normaliser
        self.species_codes = normaliser.release.species_codes
        self._lone_rows: dict[tuple[str, str, bool], list[dict]] = {}

    def extract(self, doc_id: str, text: str) -> list[dict]:
        """Mention records of one document, sorted by (start, end)."""
        work = text if text.isascii() or not _SPECIAL.search(text) else text.translate(TRANSLATE)
        rows: list[dict] = []
        pos = 0
        lower = work.lower()
        # a list of full names may end in "families"/"clusters" (read as one group then)
        plural_doc = "families" in lower or "clusters" in lower
        for s in _head_offsets(work, lower):
            if s < pos or (s and (work[s - 1].isalnum() or work[s - 1] == "_")):
                continue  # inside the previous mention, or inside a word ("AmiR-21")
            m = HEAD.match(work, s)
            if m is None:
                continue
            sp = _species_before(work, s)
            if _stands_alone(work, m.end(), plural_doc):
                rows += self._lone(doc_id, text, work, m, sp)
                pos = m.end()
            else:
                found, pos = self._group(doc_id, text, work, m, sp)
                rows += found
        rows.sort(key=_SPAN)
        return add_sentences(text, rows)

    def _lone(self, doc_id: str, text: str, work: str, m: re.Match, sp: str) -> list[dict]:
        """Rows of a name that nothing continues, the common case: they depend only on its
        spelling, so they are made once per spelling and copied (bench/extract_throughput.py:
        without this, abstracts are read at ~0.45x instead of ~0.7x a bare regex scan)."""
        # a gene symbol's spelling may also head a name ("MIR17" vs "MIR17PTi")
        key = (text[m.start() : m.end()], sp, m.group("gene") is None)
        at = m.start()
        tpl = self._lone_rows.get(key)
        if tpl is None:
            if len(self._lone_rows) >= _MEMO_LIMIT:
                self._lone_rows.clear()  # a pure memo: bounded memory on huge corpora
            rows, _ = self._group("", text, work, m, sp)
            tpl = self._lone_rows[key] = [_shifted(r, -at) for r in rows]
        out = []
        for r in tpl:
            start, end = r["start"] + at, r["end"] + at
            out.append(
                {**r, "doc_id": doc_id, "start": start, "end": end, "text": text[start:end],
                 "group_start": r["group_start"] + at, "group_end": r["group_end"] + at}
            )  # fmt: skip
        return out

    def _group(
        self, doc_id: str, text: str, work: str, m: re.Match, sp: str
    ) -> tuple[list[dict], int]:
        """Rows of the expression whose head is ``m`` (with its continuations and group
        word), and the offset where it ends."""
        start = m.start()
        species = self.norm.species
        hint = ""
        if sp:
            if sp.lower() in self.species_codes:
                species = sp.lower()
                start -= len(sp) + 1
            elif sp.lower() in ("pre", "pri"):
                hint = "precursor"
        if m.group("gene"):
            return self._gene(doc_id, text, m, start, species), m.end()
        if m.group("let"):
            item = _item_from(m, "l_", m.group("let").lower())
            kind = hint or "mature"
        else:
            item = _item_from(m)
            pfx = m.group("pfx")
            kind = hint or ("precursor" if pfx == "mir" and not item.arm else "mature")
        weak = bool(WEAK_PREFIX.fullmatch(m.group("pfx") or "")) or (
            m.group("sep") == " " and not item.letter
        )
        parts, end, word = self._continuations(work, _Part(start, m.end(), item), species)
        return self._emit(doc_id, text, parts, species, kind, word, weak), end

    def _continuations(self, work: str, head: _Part, species: str) -> tuple[list[_Part], int, str]:
        """The parts of an expression (its head, then what continues it), where it ends, and
        its group word ("family", "clusters", "" when none)."""
        parts = [head]
        end = head.end
        plural: bool | None = None  # the list ends in "families"/"clusters" (None: not asked)
        cut: tuple[int, int] | None = None  # parts and end before the first full name listed
        while (c := CONT.match(work, end)) is not None:
            join = c.group("join").strip().lower()
            if c.group("cpfx") and join not in _JOIN_PREFIXED:
                # "miR-1, miR-22": a full name starts its own mention, unless the list ends
                # in a plural group word ("miR-200 and miR-34 families")
                if plural is None:
                    plural = not (head.item.arm or head.item.star) and _ends_in_plural_group(
                        work, end
                    )
                if not plural:
                    break
                if cut is None:
                    cut = (len(parts), end)
            part = self._continuation(work, c, join, parts[-1].item, species)
            if part is None:
                break
            parts.append(part)
            end = c.end()
        w = GROUP_WORD.match(work, end)
        if cut is not None and (w is None or w["word"].lower() not in _PLURAL_WORDS):
            # the list stopped before its plural word: full names go back to their own mentions
            del parts[cut[0] :]
            end = cut[1]
            w = GROUP_WORD.match(work, end)
        return parts, end, w.group("word").lower() if w else ""

    def _continuation(
        self, work: str, c: re.Match, join: str, prev: Item, species: str
    ) -> _Part | None:
        """The part a continuation match ``c`` adds after ``prev``, or None when it is none."""
        if c.group("aonly"):
            # "miR-30a-5p/-3p", "miR-199a-5p and -3p": the other arm of the same name
            if not (join == "/" or c.group("dash")) or not prev or not prev.arm:
                return None
            it = prev._replace(arm=c.group("aonly").lower(), star=False)
            return _Part(c.start("aonly"), c.end(), it, join)
        if c.group("lonly"):
            if not (join == "/" or c.group("dash")) or not prev or not prev.letter:
                return None
            it = Item(prev.prefix, prev.num, c.group("lonly").lower(),
                      (c.group("lcopy") or "").lstrip("-"), prev.arm, prev.star)  # fmt: skip
            return _Part(c.start("lonly"), c.end(), it, join)
        cpfx = (c.group("cpfx") or "").lower()
        prefix = ("let" if cpfx.startswith("let") else "mir") if cpfx else prev.prefix
        if prefix == "let" and c.group("num") != "7":
            prefix = "mir"  # "let-7e, 125a and 99b"
        it = _item_from(c, "", prefix)
        if self._copy_listed(species, prev, c, it):
            # "miR-16-1/-2", "miR-7-1/-2/-3": paralog copies of one stem, never "miR-2"
            return _Part(c.start("num"), c.end(), prev._replace(copy=it.num), join)
        # a full name listed ("miR-200a/miR-200b") is read with its prefix
        s0 = c.start("cpfx") if c.group("cpfx") else c.start("num")
        if not c.group("dash") and join in _LIST_JOINERS:
            if NOT_MIRNA_AFTER.match(work, c.end()) or not (
                self._known(species, it) or (c.group("cpfx") and self._known_range(species, it))
            ):
                return None
        return _Part(s0, c.end(), it, join)

    def _copy_listed(self, species: str, prev: Item, c: re.Match, it: Item) -> bool:
        """After a paralog copy ("miR-16-1"), a bare number that is another copy of the
        same stem ("/-2", ", 2") and no other name."""
        if not prev.copy or c.group("cpfx") or it.letter or it.copy or len(it.num) > 2:
            return False
        idx = self.norm.index(species)
        key = f"{prev.base}-{it.num}"
        return key in idx.hairpin_keys or key in idx.hairpin_old

    def _known(self, species: str, item: Item) -> bool:
        return self.norm.resolve(species, item).status != "unresolved"

    def _known_range(self, species: str, item: Item) -> bool:
        """ "miR-143-145" as a cluster's ends: both ends are miRNAs (read so by ``_emit``)."""
        return (
            bool(item.copy)
            and not item.arm
            and not item.star
            and self._known(species, item._replace(copy=""))
            and self._known(species, Item(item.prefix, item.copy))
        )

    def _gene(self, doc_id, text, m, start, species) -> list[dict]:
        symbol = m.group("gene")
        item = _item_from_gene(symbol)
        end = m.end()
        row = self._row(doc_id, text, start, end, species)
        if m.group("hg") is not None or item is None:
            row.update(kind="host_gene", status="unresolved", normalised=symbol)
            row["reason"] = "host gene (long non-coding RNA), not a miRNA"
            if item:
                row["reason"] += f"; it hosts {item.display(species).replace('miR', 'mir')}"
            return [row]
        res = self.norm.resolve(species, item)
        if res.status == "unresolved":
            return []  # MIR-like symbols that name no miRNA (e.g. MIR elements) are not mentions
        self._fill(row, res, species, item, "gene_symbol")
        return [row]

    def _row(self, doc_id, text, start, end, species) -> dict:
        return {
            "doc_id": doc_id, "start": start, "end": end, "text": text[start:end],
            "sentence": "", "mirbase_ids": [], "mirbase_names": [], "status": "",
            "kind": "", "normalised": "", "species": species, "arm_policy": "",
            "expansion": "", "reason": "", "sentence_start": 0,
            "group_start": start, "group_end": end,
        }  # fmt: skip

    def _fill(
        self, row: dict, res: Resolution, species: str, item: Item, kind: str, read_as: str = ""
    ) -> None:
        row["mirbase_ids"] = list(res.ids)
        row["mirbase_names"] = self.norm.names(species, res.ids)
        row["status"] = res.status
        row["reason"] = res.reason
        row["kind"] = kind
        disp = item.display(species)
        precursor = (read_as or kind) in ("precursor", "gene_symbol")
        row["normalised"] = disp.replace("-miR-", "-mir-") if precursor else disp
        if res.arm_applied:
            row["arm_policy"] = self.norm.arm_policy
        if res.status == "ambiguous":
            row["expansion"] = f"{disp} -> candidates " + ";".join(row["mirbase_names"])

    def _emit(self, doc_id, text, parts, species, kind, word, weak) -> list[dict]:
        g0, g1 = parts[0].start, parts[-1].end
        split = self._split(text, parts, species)
        segments = _segments(split)
        plural = word.endswith(("ies", "s"))
        n_items = len(split)
        out: list[dict] = []
        for i, seg in enumerate(segments):
            worded = word if plural or i == len(segments) - 1 else ""
            row = self._segment_group(doc_id, text, seg, species, worded, (g0, g1))
            if row is not None:
                out.append(row)
                continue
            for p in seg:
                res = self.norm.resolve(species, p.item)
                if weak and n_items == 1 and res.status == "unresolved":
                    return []  # "microRNAs 15 ..." with no miRBase name behind it
                row = self._row(doc_id, text, p.start, p.end, species)
                row["group_start"], row["group_end"] = g0, g1
                k = "enumeration_member" if n_items > 1 else kind
                self._fill(row, res, species, p.item, k, kind)
                if n_items > 1:
                    note = f" ({row['expansion']})" if row["expansion"] else ""
                    label = _label(text, g0, g1)
                    row["expansion"] = f"{label} -> {p.item.display(species)}{note}"
                out.append(row)
        return out

    def _segment_group(self, doc_id, text, seg, species, word, group) -> dict | None:
        """The one row of a segment that names a cluster or a family, else None: a range
        ("miR-17~92", "miR-17/92 cluster": precursors between the ends), a list of three or
        more followed by "cluster" or of two or more followed by "family" (the members
        named), one name followed by "cluster" (its genomic cluster) or "family" (the
        precursors of its stem), a plural name ("the miR-200s": the family)."""
        ranged = any(p.joiner in _RANGE_JOINERS for p in seg[1:])
        if ranged or word.startswith(("cluster", "polycistron")):
            # "miR-A/B/C cluster": the members named; "miR-17/92 cluster", like "miR-17~92",
            # names a cluster by its two ends
            how = "named" if len(seg) > 2 and not ranged else "cluster"
            return self._grouped(doc_id, text, seg, species, "cluster", group, how)
        only = seg[0].item
        if (
            len(seg) == 1
            and only.letter == "s"
            and self.norm.resolve(species, only).status == "unresolved"
        ):
            # "the miR-200s": the plural of a name is its family
            seg = [_Part(seg[0].start, seg[0].end, only._replace(letter=""), seg[0].joiner)]
            return self._grouped(doc_id, text, seg, species, "family", group, "family")
        if word.startswith("famil"):
            how = "named" if len(seg) > 1 else "family"
            return self._grouped(doc_id, text, seg, species, "family", group, how)
        return None

    def _split(self, text: str, parts: list[_Part], species: str) -> list[_Part]:
        """Parts that name more than one miRNA, split: "miR-17-92" (a "copy" that is no
        paralog names a cluster's last member) and "miR-34bc" (a run of letters that is
        no miRBase name, each letter one: miR-34b, miR-34c)."""
        idx = self.norm.index(species)
        split: list[_Part] = []
        for p in parts:
            it = p.item
            full = f"{it.base}-{it.copy}"
            if (
                it.copy
                and not it.arm
                and it.copy not in ("3", "5")
                and full not in idx.hairpin_keys
                and full not in idx.hairpin_old
            ):
                split.append(_Part(p.start, p.end, it._replace(copy="", star=False), p.joiner))
                split.append(_Part(p.start, p.end, Item(it.prefix, it.copy), "-"))
            elif len(it.letter) > 1 and self._letter_run(species, it):
                split += _letter_parts(text, p)
            else:
                split.append(p)
        return split

    def _letter_run(self, species: str, item: Item) -> bool:
        """``item``'s letters ("bc" of "miR-34bc") are a run of names, not one name: no
        miRBase name has them, each letter alone is a name, in alphabetical order."""
        letters = item.letter
        return (
            list(letters) == sorted(set(letters))
            and not self._known(species, item)
            and all(self._known(species, item._replace(letter=c)) for c in letters)
        )

    def _grouped(self, doc_id, text, seg, species, kind, group, how) -> dict:
        """One row for a family or cluster expression, expanded from database definitions
        (``how``: "cluster", "family", or "named" for the members a list names)."""
        s0, s1 = seg[0].start, seg[-1].end
        items = tuple(p.item for p in seg)
        row = self._row(doc_id, text, s0, s1, species)
        row["group_start"], row["group_end"] = group
        short = [it.display(species)[len(species) + 1 :] for it in items]
        if how == "named":
            ids, note, status, reason = self.norm.named(species, items, kind == "family")
        elif how == "family":
            ids, note, reason = self.norm.family(species, items)
            status = "resolved" if ids else "unresolved"
        else:
            ranged = len(items) > 1
            ids, note, status, reason = self.norm.cluster(species, items, ranged)
        row.update(
            mirbase_ids=ids,
            mirbase_names=self.norm.names(species, ids),
            status=status,
            reason=reason,
            kind=kind,
            normalised=f"{species}-{'~'.join(short)} {kind}",
            arm_policy=self.norm.arm_policy if ids else "",
        )
        if ids:
            label = _label(text, s0, s1)
            row["expansion"] = f"{label} {kind} -> {';'.join(row['mirbase_names'])} ({note})"
        return row
