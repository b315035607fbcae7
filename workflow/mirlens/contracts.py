"""Column contracts of the result tables (ARCHITECTURE.md): what every stage writes and
every reader may rely on. Tables may carry documented extra columns after these."""

from __future__ import annotations

DOCUMENTS = (
    "doc_id", "source", "path", "title", "year", "pmid", "doi", "sha256", "status", "shard",
    "n_chars",
)  # fmt: skip
MENTIONS = (
    "doc_id", "start", "end", "text", "sentence", "mirbase_ids", "mirbase_names", "status",
)  # fmt: skip
MIRNAS = (
    "mirbase_id", "name", "sequence", "seed", "family", "n_documents", "n_mentions", "documents",
)  # fmt: skip
UNRESOLVED = (
    "text", "status", "reason", "n_mentions", "n_documents", "example_doc_id",
    "example_sentence",
)  # fmt: skip
EVIDENCE = (
    "theme", "rank", "mirna", "mirbase_id", "tier", "n_documents", "n_theme_documents",
    "theme_documents", "validated_theme_targets", "n_validated_theme_targets",
    "n_predicted_theme_targets", "best_library", "best_gene_set", "overlap", "pvalue",
    "themed_fdr", "set_level_pvalue", "claimed_theme_genes",
)  # fmt: skip
TARGETS = ("mirbase_id", "mirna", "gene_symbol", "entrez_id", "source", "score", "evidence")
CONSENSUS = (
    "mirbase_id", "mirna", "gene_symbol", "entrez_id", "sources", "n_sources", "scores",
    "evidence",
)  # fmt: skip
ENRICHMENT = (
    "scope", "mirbase_id", "gene_set", "theme", "hypothesis", "set_size", "overlap",
    "expected", "universe_size", "odds_ratio", "pvalue", "pvalue_hypergeom", "fdr", "genes",
)  # fmt: skip
ENRICHMENT_SET_LEVEL = (
    "gene_set", "theme", "hypothesis", "n_mirnas", "n_background", "statistic", "pvalue",
    "fdr", "test",
)  # fmt: skip

# results/<path> -> contract, for readers and tests that check a whole results folder
BY_PATH = {
    "literature/documents.tsv": DOCUMENTS,
    "mentions.tsv": MENTIONS,
    "mirnas.tsv": MIRNAS,
    "unresolved.tsv": UNRESOLVED,
    "targets/consensus.tsv": CONSENSUS,
    "evidence.tsv": EVIDENCE,
}
