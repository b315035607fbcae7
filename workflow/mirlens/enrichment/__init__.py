"""Over-representation of miRNA targets in gene sets, corrected for target-set bias.

Modules: :mod:`.tails` (exact hypergeometric tails), :mod:`.bias` (targetability model and
the corrected per-miRNA test), :mod:`.matrices` (universe, sets, targets),
:mod:`.permirna` (per-miRNA statistics), :mod:`.store` (per-release store of every
background miRNA's statistics), :mod:`.setlevel` (literature vs background miRNAs per set),
:mod:`.tables` (themed / exploratory FDR, output tables), :mod:`.analysis` (one run),
:mod:`.calibration` (matched random sets), :mod:`.cli` (commands).
"""

from mirlens.enrichment.analysis import EnrichmentResult, enrich
from mirlens.enrichment.cli import add_arguments, run
from mirlens.enrichment.tables import COLUMNS
from mirlens.enrichment.tails import bh, haldane_odds_ratio, hypergeom_tail

__all__ = [
    "COLUMNS",
    "EnrichmentResult",
    "add_arguments",
    "bh",
    "enrich",
    "haldane_odds_ratio",
    "hypergeom_tail",
    "run",
]
