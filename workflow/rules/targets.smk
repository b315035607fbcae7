rule targets_parse:
    input:
        release=release_files,
        mirbase=mirbase_files(),
        gene_info=db("ncbi.gene_info"),
        mane=db_optional("ncbi.mane"),
        gene2refseq=db_optional("ncbi.gene2refseq"),
    output:
        store="resources/store/{source}/{release}/targets.parquet",
        stats="resources/store/{source}/{release}/stats.json",
    params:
        mirbase=mirbase_folder,
        species=config["species"],
        refseq=lambda w, input: " ".join(
            [f"--mane {p}" for p in input.mane] + [f"--gene2refseq {p}" for p in input.gene2refseq]
        ),
    wildcard_constraints:
        source="targetscan|mirdb|mirtarbase",
    log:
        "logs/targets/parse_{source}_{release}.log",
    resources:
        mem_mb=4000,
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens targets-parse --source {wildcards.source} --input {input.release:q}"
        " --mirbase {params.mirbase:q} --gene-info {input.gene_info:q} {params.refseq}"
        " --species {params.species} --out {output.store:q} --stats {output.stats:q}"
        " > {log:q} 2>&1"


rule targets_select:
    input:
        unpack(select_inputs),
    output:
        targets=report(
            "results/targets/{source}.tsv",
            caption="../report/targets.rst",
            category="Targets",
        ),
        stats="results/targets/{source}.stats.json",
    params:
        store=lambda w, input: f"--store {input.store}" if "store" in input.keys() else "",
        thresholds=threshold_args,
    wildcard_constraints:
        source="targetscan|mirdb|mirtarbase|encori|literature",
    log:
        "logs/targets/select_{source}.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens targets-select --source {wildcards.source} {params.store}"
        " --mirnas {input.mirnas:q} {params.thresholds} --out {output.targets:q}"
        " --stats {output.stats:q} > {log:q} 2>&1"


rule consensus:
    input:
        unpack(consensus_inputs),
    output:
        consensus=report(
            "results/targets/consensus.tsv",
            caption="../report/consensus.rst",
            category="Targets",
        ),
        stats="results/targets/consensus.stats.json",
    params:
        inputs=consensus_args,
        min_sources=config["targets"]["consensus"]["min_sources"],
        mode=config["targets"]["consensus"]["mode"],
    log:
        "logs/targets/consensus.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens consensus {params.inputs}"
        " --min-sources {params.min_sources} --mode {params.mode}"
        " --out {output.consensus:q} --stats {output.stats:q} > {log:q} 2>&1"
