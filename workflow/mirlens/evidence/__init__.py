"""The answer per theme: which miRNAs of the literature act on it, and on what evidence.

``mirlens evidence`` writes ``results/evidence.tsv`` (one row per miRNA x theme): theme
context in the run's documents (:mod:`.context`), validated and predicted targets in the
theme's sets (:mod:`.targets`), the best themed gene set's statistics (:mod:`.stats`),
ranked by the rule of :mod:`.table`.
"""
