rule themes:
    output:
        "results/enrichment/themes.json",
    params:
        value=config["enrichment"]["themes"],
    log:
        "logs/enrichment/themes.log",
    conda:
        "../envs/mirlens.yaml"
    script:
        "../scripts/dump_json.py"


rule genesets:
    input:
        raw=library_raw,
        themes="results/enrichment/themes.json",
    output:
        "resources/genesets/{library}.gmt",
    params:
        format=lambda w: config["enrichment"]["libraries"][w.library]["format"],
    log:
        "logs/enrichment/genesets_{library}.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens genesets --input {input.raw:q} --format {params.format}"
        " --name {wildcards.library} --themes {input.themes:q} --out {output:q} > {log:q} 2>&1"


rule enrich:
    input:
        targets="results/targets/consensus.tsv",
        background="results/targets/background.parquet",
        universe="results/targets/universe.txt",
        gmt="resources/genesets/{library}.gmt",
        themes="results/enrichment/themes.json",
    output:
        table=report(
            "results/enrichment/{library}.tsv",
            caption="../report/enrichment.rst",
            category="Enrichment",
        ),
        meta="results/enrichment/{library}.meta.json",
    params:
        n_null=config["enrichment"]["empirical_null"]["n"],
        seed=config["enrichment"]["empirical_null"]["seed"],
        min_size=config["enrichment"]["min_set_size"],
        max_size=config["enrichment"]["max_set_size"],
        scopes=",".join(config["enrichment"]["scopes"]),
    threads: 2
    log:
        "logs/enrichment/enrich_{library}.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens enrich --targets {input.targets:q} --gmt {input.gmt:q}"
        " --background {input.background:q} --universe {input.universe:q}"
        " --themes {input.themes:q} --library {wildcards.library} --null {params.n_null}"
        " --seed {params.seed} --min-size {params.min_size} --max-size {params.max_size}"
        " --scopes {params.scopes} --threads {threads} --out {output.table:q}"
        " --meta {output.meta:q} > {log:q} 2>&1"
