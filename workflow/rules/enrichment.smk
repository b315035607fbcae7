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


# Per release: the normalised library does not depend on the run (the themes are checked
# by theme_context), so projects sharing resources/ do not rewrite it for each other.
rule genesets:
    input:
        raw=library_raw,
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
        " --name {wildcards.library} --out {output:q} > {log:q} 2>&1"


# The themes with their genes, read once from the libraries: extraction matches sentences
# with them (the mentions' themes column), evidence takes the theme targets from them.
rule theme_context:
    input:
        themes="results/enrichment/themes.json",
        gmt=expand("resources/genesets/{library}.gmt", library=LIBRARIES),
    output:
        "results/enrichment/theme_context.json",
    params:
        gmt=lambda w, input: by_library(input.gmt),
    log:
        "logs/enrichment/theme_context.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens theme-context --themes {input.themes:q} --gmt {params.gmt}"
        " --out {output:q} > {log:q} 2>&1"


rule background:
    input:
        stores=[store_path(s) for s in BG_SOURCES],
    output:
        background=f"{BG_DIR}/background.parquet",
        universe=f"{BG_DIR}/universe.txt",
        stats=f"{BG_DIR}/stats.json",
    params:
        thresholds=json.dumps({s: config["targets"].get(s, {}) for s in BG_SOURCES}),
        min_sources=config["targets"]["consensus"]["min_sources"],
        mode=config["targets"]["consensus"]["mode"],
    log:
        f"logs/store/background_{BG_KEY}.log",
    resources:
        mem_mb=4000,
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens background --stores {input.stores:q}"
        " --thresholds {params.thresholds:q} --min-sources {params.min_sources}"
        " --mode {params.mode} --out {output.background:q}"
        " --universe-out {output.universe:q} --stats {output.stats:q} > {log:q} 2>&1"


rule enrich_store:
    input:
        background=rules.background.output.background,
        universe=rules.background.output.universe,
        # the raw download, not resources/genesets/: that one is rewritten by every run
        # (it depends on the run's themes), which would rebuild the store each time
        library=library_raw,
    output:
        "resources/store/enrichment/{key}/{library}.parquet",
    params:
        format=lambda w: config["enrichment"]["libraries"][w.library]["format"],
        min_size=config["enrichment"]["min_set_size"],
        max_size=config["enrichment"]["max_set_size"],
        strata=config["enrichment"]["strata"],
    threads: 2
    resources:
        mem_mb=4000,
    log:
        "logs/store/enrich_store_{key}_{library}.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens enrich-store --background {input.background:q}"
        " --universe {input.universe:q} --gmt {input.library:q} --format {params.format}"
        " --library {wildcards.library}"
        " --min-size {params.min_size} --max-size {params.max_size} --strata {params.strata}"
        " --key {wildcards.key} --threads {threads} --out {output:q} > {log:q} 2>&1"


rule enrich:
    input:
        targets="results/targets/consensus.tsv",
        mirna_set=MIRNA_SET,  # not read: see consensus_inputs
        background=rules.background.output.background,
        universe=rules.background.output.universe,
        store=enrichment_store,
        gmt="resources/genesets/{library}.gmt",
        themes="results/enrichment/themes.json",
    output:
        **({"parquet": "results/enrichment/{library}.parquet"} if EVERY_ROW else {}),
        table=report(
            "results/enrichment/{library}.tsv",
            caption="../report/enrichment.rst",
            category="Enrichment",
        ),
        set_level="results/enrichment/{library}.set_level.tsv",
        meta="results/enrichment/{library}.meta.json",
    params:
        min_size=config["enrichment"]["min_set_size"],
        max_size=config["enrichment"]["max_set_size"],
        exploratory_fdr=config["enrichment"]["exploratory_fdr"],
        parquet=lambda w, output: (f"--parquet {shlex.quote(output.parquet)}" if EVERY_ROW else ""),
    # one process; a second BLAS thread does not speed it up (go_bp at 20k documents: 16.8 s
    # either way), and with one the libraries run side by side
    threads: 1
    resources:
        mem_mb=4000,
    log:
        "logs/enrichment/enrich_{library}.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens enrich --targets {input.targets:q} --gmt {input.gmt:q}"
        " --background {input.background:q} --universe {input.universe:q}"
        " --store {input.store:q} --themes {input.themes:q} --library {wildcards.library}"
        " --min-size {params.min_size} --max-size {params.max_size}"
        " --exploratory-fdr {params.exploratory_fdr} --threads {threads}"
        " --out {output.table:q} {params.parquet}"
        " --set-level {output.set_level:q} --meta {output.meta:q} > {log:q} 2>&1"
