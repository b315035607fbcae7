"""Keys of the per-release stores (no heavy imports: the Snakefile computes them at parse time).

A store under ``resources/store/<kind>/<key>/`` holds what depends only on the inputs hashed
into its key (sources, releases, thresholds, consensus rule, library, statistics version);
any change gives a new key and so a new store, never a stale one.
"""

from __future__ import annotations

import hashlib
import json

STORE_VERSION = 1  # bump when the stored statistics change
# Target sources never in a per-release store: ENCORI is asked per miRNA, and the
# literature's claims are the run's own.
RUN_ONLY_SOURCES = ("encori", "literature")


def store_key(inputs: dict) -> str:
    """16 hex digits of the SHA-256 of the canonical JSON of ``inputs`` (+ store version)."""
    text = json.dumps({"store_version": STORE_VERSION, **inputs}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
