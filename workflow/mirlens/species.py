"""miRBase species codes: NCBI taxon and scientific name (no heavy imports: text jobs
use them)."""

from __future__ import annotations

from mirlens.errors import MirlensError

SPECIES_TAXID = {"hsa": 9606, "mmu": 10090, "rno": 10116, "dre": 7955, "gga": 9031, "cfa": 9615}
SPECIES_NAME = {
    "hsa": "Homo sapiens",
    "mmu": "Mus musculus",
    "rno": "Rattus norvegicus",
    "dre": "Danio rerio",
    "gga": "Gallus gallus",
    "cfa": "Canis familiaris",
}


def species_taxid(species: str) -> int:
    try:
        return SPECIES_TAXID[species]
    except KeyError:
        raise MirlensError(
            f"unknown species code {species!r}; known: {', '.join(sorted(SPECIES_TAXID))}"
        ) from None
