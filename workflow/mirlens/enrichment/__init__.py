"""Over-representation of miRNA targets in gene sets, corrected for target-set bias."""

from mirlens.enrichment._old import *  # noqa: F403  (transitional: the package is being split)
from mirlens.enrichment._old import _log_factorials, add_arguments, run  # noqa: F401
