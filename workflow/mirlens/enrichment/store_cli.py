"""`mirlens enrich-store`: the command's entry points (see :mod:`mirlens.enrichment.store`)."""

from mirlens.enrichment.cli import add_store_arguments as add_arguments
from mirlens.enrichment.cli import run_store as run

__all__ = ["add_arguments", "run"]
