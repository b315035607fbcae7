rule claims:
    input:
        shard=shard_input,
        mirbase=mirbase_files(),
        family_info=db("targetscan.family_info"),
        gene_info=db("ncbi.gene_info"),
    output:
        "results/claims/{shard}.jsonl",
    params:
        digest=shard_digest,
        mirbase=mirbase_folder,
        species=config["species"],
        arm_policy=config["mirnas"]["arm_policy"],
        cluster_distance=config["mirnas"]["cluster_distance"],
    wildcard_constraints:
        shard=r"\d+",
    log:
        "logs/claims/{shard}.log",
    resources:
        mem_mb=2000,
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens claims {input.shard:q} --out {output:q} --mirbase {params.mirbase:q}"
        " --species {params.species} --arm-policy {params.arm_policy}"
        " --family-info {input.family_info:q} --cluster-distance {params.cluster_distance}"
        " --gene-info {input.gene_info:q} > {log:q} 2>&1"


rule claims_table:
    input:
        expand("results/claims/{shard}.jsonl", shard=SHARDS),
    output:
        report("results/claims.tsv", caption="../report/claims.rst", category="Literature"),
    log:
        "logs/claims/table.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens claims-table --inputs {input:q} --out {output:q} > {log:q} 2>&1"
