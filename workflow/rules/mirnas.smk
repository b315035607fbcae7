rule mirnas:
    input:
        mentions=expand("results/mentions/{shard}.jsonl", shard=SHARDS),
        mirbase=mirbase_files(),
        family_info=db("targetscan.family_info"),
    output:
        mentions="results/mentions.tsv",
        mirnas=report("results/mirnas.tsv", caption="../report/mirnas.rst", category="miRNAs"),
        fasta="results/sequences/mirnas.fa",
        unresolved=report(
            "results/unresolved.tsv", caption="../report/unresolved.rst", category="miRNAs"
        ),
    params:
        mirbase=mirbase_folder,
    log:
        "logs/mirnas.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens mirnas --mentions {input.mentions:q} --mirbase {params.mirbase:q}"
        " --family-info {input.family_info:q} --out-mentions {output.mentions:q}"
        " --out {output.mirnas:q} --fasta {output.fasta:q}"
        " --unresolved {output.unresolved:q} > {log:q} 2>&1"
