"""``mirlens extract``: miRNA mentions of documents, normalised to miRBase, as JSON lines.

Output record (one per mention; lists are JSON lists)::

    doc_id, start, end, text, mirbase_ids, mirbase_names, status,
    sentence      the sentence holding the mention; one over 1,000 characters (no sentence
                  break found: a table or list pasted as text) is cut to at most 200
                  characters either side of the mention, so output stays linear in input
    kind          mature | precursor | gene_symbol | host_gene | family | cluster |
                  enumeration_member
    normalised    the name as read, in miRBase spelling with species (``hsa-miR-200b``)
    species       miRBase species code used
    arm_policy    ``both``/``dominant`` when the text gave no arm and the policy chose, else ""
    expansion     for families, clusters and enumerations: what was expanded, from which
                  definition (``let-7 family -> ... (precursors named by the stem: ...)``);
                  an expression over 240 characters is quoted by its ends
    reason        why a mention is ambiguous or unresolved, or a note (renamed, paralogs)
    sentence_start, group_start, group_end   offsets of the sentence and of the whole
                  enumeration/cluster expression the mention belongs to
    direction, role, sample, themes   the mention's context (``mirlens.text.context``):
                  level in the disease or sample (up/down/unchanged/unknown), mimic /
                  inhibitor / none, the sample named, the themes whose vocabulary (and
                  context genes, from a theme-context file) the sentence hits
                  (``--themes``; empty without)
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING

from mirlens.errors import MirlensError

if TYPE_CHECKING:  # imported where used: `claims` takes this module's options, not pandas
    from mirlens.mirbase import MirbaseRelease
    from mirlens.text.normalise import Normaliser

log = logging.getLogger(__name__)

_DOC_SPAN = itemgetter("doc_id", "start", "end")

DEFAULT_MIRBASE = "resources/db/mirbase.org/download_version_files/22.1"
DEFAULT_FAMILY_INFO = (
    "resources/db/www.targetscan.org/vert_80/vert_80_data_download/miR_Family_Info.txt.zip"
)
FIELDS = [
    "doc_id", "start", "end", "text", "sentence", "mirbase_ids", "mirbase_names", "status",
    "kind", "normalised", "species", "arm_policy", "expansion", "reason",
    "sentence_start", "group_start", "group_end", "direction", "role", "sample", "themes",
]  # fmt: skip

# ---------------------------------------------------------------------------------------
# Documents and CLI


def iter_input_documents(inputs: list[str]) -> Iterator[tuple[str, str]]:
    """(doc_id, text) of every readable document; skipped ones are logged."""
    from mirlens.literature.readers import iter_documents

    for doc in iter_documents(inputs):
        if doc.status != "ok":
            log.warning("skipped %s: %s", doc.path or doc.doc_id, doc.status)
            continue
        yield doc.doc_id, doc.text


def resolve_family_info(family_info: str | None) -> str | None:
    """The TargetScan family file to use: the one given, else the workflow's download if any."""
    if family_info is None and Path(DEFAULT_FAMILY_INFO).is_file():
        family_info = DEFAULT_FAMILY_INFO
    if family_info and not Path(family_info).is_file():
        raise MirlensError(f"--family-info file not found: {family_info}")
    return family_info


def load_release(
    mirbase: str | Path, family_info: str | Path | None, cluster_distance: int
) -> MirbaseRelease:
    from mirlens.mirbase import MirbaseRelease

    return MirbaseRelease(mirbase, family_info=family_info, cluster_distance=cluster_distance)


def cached_release(
    path: Path | None,
    mirbase: str | Path,
    family_info: str | Path | None,
    cluster_distance: int,
    species: Iterable[str],
) -> MirbaseRelease:
    """``load_release`` with ``species`` indexed, pickled at ``path`` (parsing and indexing
    take 3-10 s, unpickling ~0.5 s); the caller's path names a key of everything it reads.
    No path: no cache."""
    from mirlens.memo import memoised

    def build() -> MirbaseRelease:
        release = load_release(mirbase, family_info, cluster_distance)
        for sp in species:
            release.species(sp)
        return release

    return memoised(path, build)


def theme_hits(path: str | None) -> Callable[[str], list[str]] | None:
    """``Themes.hits`` of the themes file, or None without one."""
    if not path:
        return None
    from mirlens.themes import load_themes

    return load_themes(path).hits


def extract_documents(
    docs: Iterable[tuple[str, str]],
    normaliser: Normaliser,
    themes: Callable[[str], list[str]] | None = None,
) -> Iterator[dict]:
    """Mention records of all documents with their context, sorted by (doc_id, start, end);
    ``themes`` names the themes a sentence hits (``Themes.hits``)."""
    from mirlens.text.context import annotate
    from mirlens.text.recognise import Extractor

    ex = Extractor(normaliser)
    rows: list[dict] = []
    for doc_id, text in docs:
        try:
            rows.extend(annotate(ex.extract(doc_id, text), themes))
        except Exception as exc:  # one bad document never stops the rest
            log.error("extraction failed for %s: %s", doc_id, exc)
    rows.sort(key=_DOC_SPAN)
    return iter(rows)


# one encoder for all records: json.dumps(rec, ensure_ascii=False) builds a new one per call
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def write_records(fh: IO[str], records: Iterable[dict]) -> int:
    """Mention records as JSON lines (``json.dumps(rec, ensure_ascii=False)``); the count."""
    encode, write = _ENCODE, fh.write
    n = 0
    for rec in records:
        write(encode(rec) + "\n")
        n += 1
    return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="document files, folders, or JSONL of {doc_id, text}")  # fmt: skip
    parser.add_argument("--out", required=True, help="output JSONL, one mention per line")
    parser.add_argument("--mirbase", default=DEFAULT_MIRBASE, help="miRBase download folder")
    parser.add_argument("--species", default="hsa", help="species when the text gives none")
    parser.add_argument("--arm-policy", default="both", choices=["both", "dominant"],
                        help="matures used when the text names no arm")  # fmt: skip
    parser.add_argument("--family-info", default=None,
                        help="TargetScan miR_Family_Info.txt(.zip) for seed families")  # fmt: skip
    parser.add_argument("--cluster-distance", type=int, default=10_000,
                        help="max bp between clustered hairpins (miRBase: 10000)")  # fmt: skip
    parser.add_argument("--themes", default=None,
                        help="themes JSON, or the theme-context JSON (with genes)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from mirlens.io import atomic_open

    family_info = resolve_family_info(args.family_info)
    release = load_release(args.mirbase, family_info, args.cluster_distance)
    from mirlens.text.normalise import Normaliser

    norm = Normaliser(release, args.species, args.arm_policy)
    themes = theme_hits(getattr(args, "themes", None))
    with atomic_open(args.out) as fh:
        docs = iter_input_documents(args.inputs)
        n = write_records(fh, extract_documents(docs, norm, themes))
    log.info("wrote %d mentions to %s", n, args.out)
    return 0
