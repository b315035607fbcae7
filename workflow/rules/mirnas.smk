# A checkpoint: Snakemake looks at the DAG again once it has run, and the jobs that read
# only the miRNA set (the FASTA: names and sequences, no counts) do not rerun when new
# papers name no new miRNA (its checksum is the one recorded by their last run).
checkpoint mirnas:
    input:
        mirnas=shard_files("results/mentions/{shard}.mirnas.parquet"),
        unresolved=shard_files("results/mentions/{shard}.unresolved.parquet"),
        mirbase=mirbase_files(),
        family_info=db("targetscan.family_info"),
    output:
        mirnas=report("results/mirnas.tsv", caption="../report/mirnas.rst", category="miRNAs"),
        fasta="results/sequences/mirnas.fa",
        unresolved=report(
            "results/unresolved.tsv", caption="../report/unresolved.rst", category="miRNAs"
        ),
    params:
        mirbase=mirbase_folder,
    # on the answer's path (miRNA set -> evidence -> page), and everything after it waits on
    # it and on Snakemake's look at the DAG once it is done: first when it is ready (else a
    # new shard's claims job, with larger inputs, goes first)
    priority: 1
    log:
        "logs/mirnas.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens mirnas --mirna-summaries {input.mirnas:q}"
        " --unresolved-summaries {input.unresolved:q} --mirbase {params.mirbase:q}"
        " --family-info {input.family_info:q} --out {output.mirnas:q}"
        " --fasta {output.fasta:q} --unresolved {output.unresolved:q}"
        " --cache-dir resources/cache/mirnas > {log:q} 2>&1"


rule mentions:
    input:
        shard_files("results/mentions/{shard}.parquet"),
    output:
        "results/mentions.tsv",
    # a person's merged table: when the answer's next job is ready too, that goes first
    priority: -1
    log:
        "logs/mentions.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens mentions-table --inputs {input:q} --out {output:q}"
        " --cache-dir resources/cache/tables/mentions > {log:q} 2>&1"
