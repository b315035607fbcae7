"""Per-query cache for the PubMed and Europe PMC clients.

A query's key is the hash of everything that decides its result (service, query, date
window, record cap), so a rerun of the same query reads the cache and makes no request,
and changing any of them fetches afresh. Entries are written only once the whole result
is in, so an interrupted run never leaves a partial entry behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from mirlens.io import atomic_open, read_jsonl, write_jsonl

log = logging.getLogger(__name__)

# Fields of every record the two clients write (and `collect` reads back as JSONL).
RECORD_FIELDS = ["doc_id", "pmid", "doi", "title", "year", "text", "source", "query"]


def query_key(service: str, **params: object) -> str:
    """Stable key of one query: sha256 of its canonical JSON, 16 hex digits."""
    blob = json.dumps({"service": service, **params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def entry_paths(cache_dir: str | Path, service: str, key: str) -> tuple[Path, Path]:
    base = Path(cache_dir) / service
    return base / f"{key}.jsonl", base / f"{key}.json"


def load(cache_dir: str | Path, service: str, key: str) -> list[dict] | None:
    """The cached records of a query, or None when it was never completed."""
    records, meta = entry_paths(cache_dir, service, key)
    if not (records.is_file() and meta.is_file()):
        return None
    log.info("%s: using cached result %s", service, records)
    return list(read_jsonl(records))


def store(cache_dir: str | Path, service: str, key: str, records: list[dict], meta: dict) -> None:
    """Write the records, then the metadata that marks the entry complete."""
    records_path, meta_path = entry_paths(cache_dir, service, key)
    write_jsonl(records, records_path)
    meta = {**meta, "n_records": len(records), "fetched": datetime.now(UTC).isoformat()}
    with atomic_open(meta_path) as fh:
        fh.write(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def sort_records(records: list[dict]) -> list[dict]:
    """One record per doc_id (first kept), sorted by doc_id, fields in the contract order."""
    seen: dict[str, dict] = {}
    for rec in records:
        seen.setdefault(rec["doc_id"], {k: rec.get(k) for k in RECORD_FIELDS})
    return [seen[k] for k in sorted(seen)]
