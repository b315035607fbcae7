"""What every enrichment of one library shares: universe, gene sets, background, bias model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from scipy import sparse

from mirlens.enrichment.bias import N_STRATA, BiasModel
from mirlens.enrichment.matrices import (
    GeneSets,
    Universe,
    build_universe,
    gene_set_matrix,
    memberships,
    target_matrix,
)
from mirlens.genesets import Library


@dataclass
class Context:
    library: Library
    universe: Universe
    sets: GeneSets
    background: list[str]  # background miRNAs, sorted (rows of ``targets``)
    targets: sparse.csr_array  # background miRNA x universe gene
    model: BiasModel

    def describe(self) -> dict:
        return {
            "library": self.library.name,
            "universe_source": self.universe.source,
            "universe_size": self.universe.size,
            "library_sets": self.sets.n_library,
            "sets_tested": len(self.sets.names),
            "sets_outside_size_bounds": self.sets.n_out_of_bounds,
            "background_mirnas": len(self.background),
            "strata": self.model.n_strata,
            "note": (
                "universe = genes that can be targets in the sources used "
                f"({self.universe.source}) ∩ genes of library {self.library.name}, matched "
                "case-insensitively; set sizes, overlaps and target counts are counted "
                "within it. Gene targetability = background miRNAs targeting the gene."
            ),
        }


def prepare(
    library: Library,
    background: pd.DataFrame,
    universe_genes: Sequence[str] | None = None,
    min_size: int = 5,
    max_size: int = 2000,
    n_strata: int = N_STRATA,
) -> Context:
    """Universe = ``universe_genes`` (else the background's genes) ∩ library genes."""
    members = memberships(library)
    if universe_genes is not None:
        universe = build_universe(universe_genes, library, "--universe list", members)
    else:
        universe = build_universe(background["gene_symbol"], library, "background", members)
    sets = gene_set_matrix(library, universe, min_size, max_size, members)
    names, T = target_matrix(background, universe)
    return Context(library, universe, sets, names, T, BiasModel.from_background(T, n_strata))
