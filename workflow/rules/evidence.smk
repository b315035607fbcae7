rule evidence:
    input:
        # the per-shard Parquet (four columns read), not the person's mentions.tsv
        mentions=shard_files("results/mentions/{shard}.parquet"),
        mirnas="results/mirnas.tsv",
        consensus="results/targets/consensus.tsv",
        claims="results/claims.tsv",
        mirtarbase=evidence_mirtarbase(),
        themes="results/enrichment/themes.json",
        gmt=expand("resources/genesets/{library}.gmt", library=LIBRARIES),
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
        gmt=lambda w, input: by_library(input.gmt),
        enrichment=lambda w, input: by_library(input.enrichment),
        set_level=lambda w, input: by_library(input.set_level),
        species=config["species"],
        alpha=config["report"]["alpha"],
    log:
        "logs/evidence.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens evidence --mentions {input.mentions:q} --mirnas {input.mirnas:q}"
        " --consensus {input.consensus:q} {params.mirtarbase} --themes {input.themes:q}"
        " --claims {input.claims:q}"
        " --gmt {params.gmt} --enrichment {params.enrichment} --set-level {params.set_level}"
        " --species {params.species} --alpha {params.alpha} --out {output:q} > {log:q} 2>&1"
