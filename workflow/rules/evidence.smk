rule evidence:
    input:
        # per shard: sentences in theme context per miRNA and document (small)
        context=shard_files("results/mentions/{shard}.context.parquet"),
        mirnas="results/mirnas.tsv",
        consensus="results/targets/consensus.tsv",
        # per shard: the claims that count, one row per miRNA, gene and document (small)
        claims=shard_files("results/claims/{shard}.claimed.parquet"),
        mirtarbase=evidence_mirtarbase(),
        themes="results/enrichment/theme_context.json",
        enrichment=expand("results/enrichment/{library}.tsv", library=LIBRARIES),
        set_level=expand("results/enrichment/{library}.set_level.tsv", library=LIBRARIES),
    output:
        report(
            "results/evidence.tsv",
            caption="../report/evidence.rst",
            category="Evidence",
        ),
    params:
        mirtarbase=lambda w, input: (
            f"--mirtarbase {input.mirtarbase[0]}" if input.mirtarbase else ""
        ),
        enrichment=lambda w, input: by_library(input.enrichment),
        set_level=lambda w, input: by_library(input.set_level),
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
        " --consensus {input.consensus:q} {params.mirtarbase} --themes {input.themes:q}"
        " --claims {input.claims:q}"
        " --enrichment {params.enrichment} --set-level {params.set_level}"
        " --species {params.species} --alpha {params.alpha} --out {output:q} > {log:q} 2>&1"
