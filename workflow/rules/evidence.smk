# The columns that follow from the miRNA set alone (theme targets, gene-set statistics): they
# rerun only when the set changes (its FASTA keeps its checksum otherwise), so new papers
# naming known miRNAs rerun only the document columns below.
rule evidence_targets:
    input:
        mirnas="results/sequences/mirnas.fa",
        consensus="results/targets/consensus.tsv",
        mirtarbase=evidence_mirtarbase(),
        themes="results/enrichment/theme_context.json",
        enrichment=expand("results/enrichment/{library}.tsv", library=LIBRARIES),
        set_level=expand("results/enrichment/{library}.set_level.tsv", library=LIBRARIES),
    output:
        "results/evidence/theme_targets.parquet",
    params:
        mirtarbase=lambda w, input: (
            f"--mirtarbase {input.mirtarbase[0]}" if input.mirtarbase else ""
        ),
        enrichment=lambda w, input: by_library(input.enrichment),
        set_level=lambda w, input: by_library(input.set_level),
    # on the answer's path when the miRNA set changes
    priority: 1
    log:
        "logs/evidence_targets.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens evidence-targets --mirnas {input.mirnas:q}"
        " --consensus {input.consensus:q} {params.mirtarbase} --themes {input.themes:q}"
        " --enrichment {params.enrichment} --set-level {params.set_level}"
        " --out {output:q} > {log:q} 2>&1"


rule evidence:
    input:
        # per shard: sentences in theme context per miRNA and document (small)
        context=shard_files("results/mentions/{shard}.context.parquet"),
        mirnas="results/mirnas.tsv",
        # per shard: the claims that count, one row per miRNA, gene and document (small)
        claims=shard_files("results/claims/{shard}.claimed.parquet"),
        themes="results/enrichment/theme_context.json",
        theme_targets=rules.evidence_targets.output[0],
    output:
        report(
            "results/evidence.tsv",
            caption="../report/evidence.rst",
            category="Evidence",
        ),
    params:
        species=config["species"],
        alpha=config["report"]["alpha"],
    # on the answer's path (miRNA set -> evidence -> page): first when it is ready
    priority: 1
    log:
        "logs/evidence.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens evidence --context {input.context:q} --mirnas {input.mirnas:q}"
        " --theme-targets {input.theme_targets:q} --themes {input.themes:q}"
        " --claims {input.claims:q} --species {params.species} --alpha {params.alpha}"
        " --out {output:q} > {log:q} 2>&1"
