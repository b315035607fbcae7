"""`mirlens <command>`: one sub-command per workflow step.

Each command lives in the module of its stage, which defines
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported lazily so
that ``mirlens --help`` stays fast and one stage's heavy imports never slow another.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from mirlens.errors import MirlensError

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "fetch": ("mirlens.download", "download one database file, verify it and lock it"),
    "check-config": ("mirlens.config", "check config files (YAML syntax with line, every key)"),
    "prefetch": ("mirlens.prefetch", "download every configured source into a mirror folder"),
    "collect": ("mirlens.literature.collect", "read documents and group them into shards"),
    "pubmed": ("mirlens.literature.pubmed", "run a PubMed query (date window pinned), cached"),
    "europepmc": ("mirlens.literature.europepmc", "run a Europe PMC query (date window), cached"),
    "extract": ("mirlens.text.extract", "find miRNA mentions and normalise them to miRBase"),
    "extract-shard": ("mirlens.shard_extract", "extract one shard, new documents only (cached)"),
    "mentions-table": ("mirlens.mention_table", "merge per-shard mentions into mentions.tsv"),
    "claims": ("mirlens.text.claims", "find miRNA -> gene claims in sentences (JSONL)"),
    "claims-table": ("mirlens.text.claims_table", "merge per-shard claims into claims.tsv"),
    "mirnas": ("mirlens.mirnas", "merge mentions into the miRNA table, sequences, unresolved"),
    "targets-parse": ("mirlens.targets.store", "parse one target database release into Parquet"),
    "targets-select": ("mirlens.targets.select", "select the targets of the run's miRNAs"),
    "consensus": ("mirlens.targets.consensus", "combine per-source targets by consensus"),
    "genesets": ("mirlens.genesets", "normalise a gene-set library to GMT and check themes"),
    "background": ("mirlens.targets.background", "every miRNA's consensus targets, per release"),
    "theme-context": ("mirlens.theme_context", "the themes with their genes, from the libraries"),
    "enrich-store": ("mirlens.enrichment.store_cli", "every miRNA's statistics, per release"),
    "enrich": ("mirlens.enrichment", "bias-corrected over-representation, themed FDR"),
    "evidence-targets": ("mirlens.evidence.theme_targets", "evidence of the miRNA set alone"),
    "evidence": ("mirlens.evidence.cli", "rank the miRNAs of each theme, with their evidence"),
    "report-targets": ("mirlens.report.targets", "the report's targets and gene-set statistics"),
    "report": ("mirlens.report.build", "write the HTML report and its figures"),
    "tables": ("mirlens.report.xlsx", "write the report's summary tables as a workbook"),
    "provenance": ("mirlens.provenance", "write results/provenance.json"),
}


def build_parser() -> argparse.ArgumentParser:
    from mirlens import __version__

    parser = argparse.ArgumentParser(prog="mirlens", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mirlens {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # Parse only up to the command name; the stage module owns the rest of the arguments.
    known, rest = parser.parse_known_args(argv)
    if not known.command:
        parser.print_help()
        return 2
    module_name, help_text = COMMANDS[known.command]
    logging.basicConfig(
        level=logging.DEBUG if known.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    module = importlib.import_module(module_name)
    sub = argparse.ArgumentParser(prog=f"mirlens {known.command}", description=help_text)
    module.add_arguments(sub)
    args = sub.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except MirlensError as exc:
        logging.getLogger("mirlens").error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
