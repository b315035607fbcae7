"""`mirlens theme-context`: the themes with their genes, read once from the gene-set libraries.

Two gene lists per theme decide the evidence, and both depend only on the themes and the
libraries' releases, never on the literature:

* ``context_genes``: the symbols every library agrees on (:func:`mirlens.themes.context_genes`);
  with the vocabulary they put a sentence in the theme's context. Extraction fills the
  mentions' ``themes`` column with them, so the evidence step reads that column instead of
  matching every sentence of the literature again on each run.
* ``set_genes``: every gene of the theme's sets, over all libraries: the theme's targets.

The file holds the themes mapping as given, so :func:`mirlens.themes.load_themes` reads it
too (with the context genes).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, named_paths
from mirlens.themes import CONTEXT_FORMAT, Themes, context_genes, load_themes, parse_themes

log = logging.getLogger(__name__)

LibrarySets = Mapping[str, Mapping[str, Iterable[str]]]  # library -> gene set -> genes


def set_genes(themes: Themes, library_sets: LibrarySets) -> dict[str, set[str]]:
    """Theme -> the genes (upper-case symbols) of its sets, over every library given."""
    out: dict[str, set[str]] = {t: set() for t in themes.names}
    for theme in themes.names:
        for name, sets in library_sets.items():
            for set_name in themes.set_names(theme, name):
                out[theme].update(g.upper() for g in sets.get(set_name, []))
    return out


def context_document(themes_data: Mapping, library_sets: LibrarySets) -> dict:
    """The theme-context file's content (JSON-ready, lists sorted: byte-stable)."""
    themes = parse_themes(themes_data)
    as_lists = lambda genes: {t: sorted(g) for t, g in sorted(genes.items())}  # noqa: E731
    return {
        "format": CONTEXT_FORMAT,
        "themes": dict(themes_data),
        "context_genes": as_lists(context_genes(themes, library_sets)),
        "set_genes": as_lists(set_genes(themes, library_sets)),
    }


def context_from_files(themes: str | Path, gmt: list[str]) -> dict:
    """The theme-context document of THEMES.json and ``LIB=GMT`` libraries."""
    from mirlens.genesets import check_themes, read_gmt, validate_themes

    gmts = named_paths(gmt, "--gmt")
    library_sets = {lib: read_gmt(path, name=lib).sets for lib, path in gmts.items()}
    data = json.loads(Path(themes).read_text(encoding="utf-8"))
    # the first run's check (the config check at start-up needs the libraries on disk):
    # before extraction, which matches sentences with these genes
    themes = validate_themes(data)
    for lib, sets in library_sets.items():
        check_themes(themes, lib, sets)
    return context_document(data, library_sets)


def themes_and_genes(doc: Mapping) -> tuple[Themes, dict[str, set[str]]]:
    """(themes matching their context genes, theme -> set genes) of a theme-context document."""
    return load_themes(doc), {t: set(g) for t, g in doc["set_genes"].items()}


def load_context(path: str | Path) -> tuple[Themes, dict[str, set[str]]]:
    """:func:`themes_and_genes` of a theme-context file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, Mapping) or data.get("format") != CONTEXT_FORMAT:
        raise MirlensError(f"{path} is not a theme-context file (`mirlens theme-context`)")
    return themes_and_genes(data)


def add_context_arguments(parser: argparse.ArgumentParser) -> None:
    """--themes and --gmt of the steps that read the themes with their genes."""
    parser.add_argument(
        "--themes",
        required=True,
        help="theme-context JSON (`mirlens theme-context`), or THEMES.json with --gmt",
    )
    parser.add_argument("--gmt", nargs="+", metavar="LIB=GMT", help="libraries, with THEMES.json")


def context_inputs(args: argparse.Namespace) -> tuple[Themes, dict[str, set[str]]]:
    """(themes matching their context genes, theme -> set genes) of
    :func:`add_context_arguments`: the theme-context file, or built from THEMES.json and the
    libraries (--gmt)."""
    if args.gmt:
        return themes_and_genes(context_from_files(args.themes, args.gmt))
    return load_context(args.themes)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--themes", required=True, help="THEMES.json (enrichment.themes)")
    parser.add_argument("--gmt", nargs="+", required=True, metavar="LIB=GMT")
    parser.add_argument("--out", required=True, help="theme-context JSON to write")


def run(args: argparse.Namespace) -> int:
    doc = context_from_files(args.themes, args.gmt)
    with atomic_open(args.out) as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
        fh.write("\n")
    counts = {t: len(g) for t, g in doc["context_genes"].items()}
    log.info("context genes per theme %s -> %s", counts, args.out)
    return 0
