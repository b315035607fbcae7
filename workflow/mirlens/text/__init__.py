"""Everything the text says: sentences, miRNA names (recognise, normalise), extraction.

The names below are imported on first use (PEP 562): importing one small module of this
package (claims_table, mention_table) must not load miRBase parsing and the recogniser,
which cost a job about a second.
"""

from importlib import import_module

_WHERE = {
    "extract_documents": "extract",
    "iter_input_documents": "extract",
    "load_release": "extract",
    "write_records": "extract",
    "candidates": "grammar",
    "Normaliser": "normalise",
    "Extractor": "recognise",
    "sentence_at": "sentences",
    "sentence_bounds": "sentences",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"mirlens.text.{_WHERE[name]}"), name)
