"""Gene-set libraries: parse MSigDB GMT / Enrichr text / local GMT, normalise, check themes.

The workflow's ``fetch`` step downloads every library file itself (so the ``mirror``
setting, sha256 verification and the lock file apply to gene sets like to any source);
``mirlens genesets`` turns that raw file into a clean GMT:
``NAME<TAB>DESCRIPTION<TAB>GENE...`` with one line per set, sets sorted by name, genes
de-duplicated case-insensitively (first spelling kept) and sorted.

Why not ``gseapy.get_library``: its Enrichr download URL is hard-coded to the public host
(``EnrichrAPI.base_url``), it first queries the live ``datasetStatistics`` endpoint and it
caches under ``~/.cache/gseapy`` outside the workflow's lock, so it cannot honour a mirror
or an air-gapped run. ``gseapy.parser.read_gmt`` accepts only ``*.gmt`` names, keeps
Enrichr ``GENE,weight`` tokens and silently lets a repeated set name overwrite the first;
the parser below follows the same line rules (tests check it against gseapy's parser)
and adds those three fixes.
"""

from __future__ import annotations

import argparse
import difflib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mirlens.errors import MirlensError
from mirlens.io import atomic_open
from mirlens.themes import load_themes as load_theme_file
from mirlens.themes import parse_themes

log = logging.getLogger(__name__)

FORMATS = ("auto", "gmt", "enrichr")


@dataclass
class Library:
    """A gene-set library: set name -> genes (normalised), plus descriptions."""

    name: str
    sets: dict[str, list[str]]
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def genes(self) -> set[str]:
        return {g for genes in self.sets.values() for g in genes}


def _unique_genes(tokens: Iterable[str], enrichr: bool) -> list[str]:
    """Clean gene tokens: strip, drop Enrichr ',weight' suffixes, dedupe ignoring case, sort."""
    seen: dict[str, str] = {}
    for tok in tokens:
        tok = tok.strip()
        if enrichr:
            # Enrichr's fuzzy libraries write 'GENE,0.8'; gseapy keeps only the symbol too.
            tok = tok.split(",", 1)[0].strip()
        if tok and tok.upper() not in seen:
            seen[tok.upper()] = tok
    return sorted(seen.values(), key=lambda g: (g.upper(), g))


def detect_format(lines: list[str]) -> str:
    """'enrichr' when every line has an empty description field, else 'gmt'."""
    fields = [ln.rstrip("\r\n").split("\t") for ln in lines if ln.strip()]
    if fields and all(len(f) >= 2 and f[1] == "" for f in fields):
        return "enrichr"
    return "gmt"


def parse_library(text: str, name: str, fmt: str = "auto", source: str = "") -> Library:
    """Parse a GMT or Enrichr text library. Bad lines are skipped with a warning."""
    if fmt not in FORMATS:
        raise MirlensError(f"unknown gene-set format {fmt!r}; use one of {', '.join(FORMATS)}")
    lines = text.splitlines()
    if fmt == "auto":
        fmt = detect_format(lines)
    enrichr = fmt == "enrichr"
    sets: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    where = source or name
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        set_name = fields[0].strip()
        if len(fields) < 3 or not set_name:
            log.warning("%s line %d: not NAME<TAB>DESC<TAB>GENES..., skipped", where, lineno)
            continue
        genes = _unique_genes(fields[2:], enrichr)
        if not genes:
            log.warning("%s line %d: gene set %r has no genes, skipped", where, lineno, set_name)
            continue
        if set_name in sets:
            if sets[set_name] == genes:
                continue
            raise MirlensError(
                f"{where} line {lineno}: gene set {set_name!r} appears twice with different "
                "genes; the library is ambiguous"
            )
        sets[set_name] = genes
        descriptions[set_name] = fields[1].strip()
    if not sets:
        raise MirlensError(f"{where}: no gene sets found (format {fmt})")
    return Library(name=name, sets=sets, descriptions=descriptions)


def read_library(path: str | Path, name: str | None = None, fmt: str = "auto") -> Library:
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"gene-set library not found: {path}")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    return parse_library(text, name or library_name(path), fmt, source=str(path))


def library_name(path: str | Path) -> str:
    """Library name from a file name: 'GO_Biological_Process_2021.gmt' -> the stem."""
    name = Path(path).name
    if "libraryName=" in name:  # raw Enrichr download as laid out by the mirror
        name = name.split("libraryName=", 1)[1]
    for suffix in (".gmt", ".txt"):
        name = name.removesuffix(suffix)
    return name


def read_gmt(path: str | Path, name: str | None = None) -> Library:
    """Read a GMT (normalised or not) into a Library."""
    return read_library(path, name=name, fmt="gmt")


def write_gmt(library: Library, path: str | Path) -> None:
    """Write a normalised GMT: sets sorted by name, genes sorted, LF line ends."""
    with atomic_open(path) as fh:
        for set_name in sorted(library.sets):
            desc = library.descriptions.get(set_name, "")
            fh.write("\t".join([set_name, desc, *library.sets[set_name]]) + "\n")


# ---------------------------------------------------------------- themes

Themes = dict[str, dict[str, list[str]]]


def load_themes(path: str | Path) -> Themes:
    """Read THEMES.json: {theme: {library: [set name, ...], vocabulary: [...]}}; gene sets only."""
    return load_theme_file(path).sets


def validate_themes(data: object, where: str = "themes") -> Themes:
    """The gene-set part of a themes mapping; the reserved ``vocabulary`` key is left out."""
    return parse_themes(data, where).sets


def check_themes(themes: Themes, library: str, set_names: Iterable[str]) -> None:
    """Every set a theme names for ``library`` must exist in it; else one clear error."""
    available = list(set_names)
    present = set(available)
    problems = []
    for theme in sorted(themes):
        for wanted in themes[theme].get(library, []):
            if wanted in present:
                continue
            close = difflib.get_close_matches(wanted, available, n=3, cutoff=0.6)
            hint = f" (close matches: {'; '.join(close)})" if close else ""
            problems.append(
                f"config key 'enrichment.themes.{theme}.{library}': theme {theme!r}: gene set "
                f"{wanted!r} is not in {library}{hint}"
            )
    if problems:  # one line: it is what the job's log ends with
        raise MirlensError(
            f"{len(problems)} theme gene set(s) missing from library {library}: "
            + "; ".join(problems)
        )


def themes_by_set(themes: Themes, library: str) -> dict[str, str]:
    """gene set -> ';'-joined sorted theme names, for one library."""
    out: dict[str, set[str]] = {}
    for theme, per_lib in themes.items():
        for set_name in per_lib.get(library, []):
            out.setdefault(set_name, set()).add(theme)
    return {k: ";".join(sorted(v)) for k, v in out.items()}


# ---------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, help="raw library file (GMT or Enrichr text)")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="input format")
    parser.add_argument("--name", help="library name (default: from the file name)")
    parser.add_argument("--out", required=True, help="normalised GMT to write")
    parser.add_argument("--themes", help="THEMES.json; check the sets named for this library")


def run(args: argparse.Namespace) -> int:
    library = read_library(args.input, name=args.name, fmt=args.format)
    if args.themes:
        check_themes(load_themes(args.themes), library.name, library.sets)
    write_gmt(library, args.out)
    log.info(
        "%s: %d gene sets, %d genes -> %s",
        library.name,
        len(library.sets),
        len(library.genes),
        args.out,
    )
    return 0
