rule claims:
    input:
        shard=shard_input,
        mentions="results/mentions/{shard}.parquet",
        gene_info=db("ncbi.gene_info"),
    output:
        claims="results/claims/{shard}.jsonl",
        claimed="results/claims/{shard}.claimed.parquet",
    params:
        digest=shard_digest,
        species=config["species"],
    wildcard_constraints:
        shard=SHARD_WILDCARD,
    log:
        "logs/claims/{shard}.log",
    resources:
        mem_mb=2000,
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens claims {input.shard:q} --mentions {input.mentions:q}"
        " --out {output.claims:q} --claimed-out {output.claimed:q} --species {params.species}"
        " --gene-info {input.gene_info:q} --cache-dir resources/cache/claims > {log:q} 2>&1"


rule claims_table:
    input:
        shard_files("results/claims/{shard}.jsonl"),
    output:
        report("results/claims.tsv", caption="../report/claims.rst", category="Literature"),
    # a person's merged table: when the answer's next job is ready too, that goes first
    priority: -1
    log:
        "logs/claims/table.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens claims-table --inputs {input:q} --out {output:q}"
        " --cache-dir resources/cache/tables/claims > {log:q} 2>&1"
