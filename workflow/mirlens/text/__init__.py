"""Everything the text says: sentences, miRNA names (recognise, normalise), extraction."""

from mirlens.text.extract import (
    extract_documents,
    iter_input_documents,
    load_release,
    write_records,
)
from mirlens.text.grammar import candidates
from mirlens.text.normalise import Normaliser
from mirlens.text.recognise import Extractor
from mirlens.text.sentences import sentence_at, sentence_bounds

__all__ = [
    "Extractor",
    "Normaliser",
    "candidates",
    "extract_documents",
    "iter_input_documents",
    "load_release",
    "sentence_at",
    "sentence_bounds",
    "write_records",
]
