"""Literature stage: read documents of any supported format, query PubMed / Europe PMC,
and group documents into stable shards.

Other stages call :func:`mirlens.literature.readers.iter_documents`.
"""

from mirlens.literature.readers import Document, iter_documents

__all__ = ["Document", "iter_documents"]
