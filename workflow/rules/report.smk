rule config_json:
    output:
        "results/config.json",
    params:
        value=recorded_config(config),  # without mirror / pins: where from is not what
    log:
        "logs/report/config_json.log",
    conda:
        "../envs/mirlens.yaml"
    script:
        "../scripts/dump_json.py"


rule provenance:
    input:
        downloads=[d.path for d in DOWNLOADS.values()],
        config="results/config.json",
        documents="results/literature/documents.tsv",
        stats=expand("results/targets/{source}.stats.json", source=SOURCES)
        + ["results/targets/consensus.stats.json"],
    output:
        report(
            "results/provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        "logs/report/provenance.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens provenance --lock resources/sources.lock.json --config {input.config:q}"
        " --documents {input.documents:q} --stats {input.stats:q} --out {output:q}"
        " > {log:q} 2>&1"


# What of the report follows from the miRNA set and the release alone (each miRNA's targets
# and gene-set statistics): no input changes when new papers name no new miRNA (the FASTA's
# checksum stays that of the last run), so this job does not rerun and `report` reuses it.
rule report_targets:
    input:
        mirnas="results/sequences/mirnas.fa",
        consensus="results/targets/consensus.tsv",
        enrichment=expand("results/enrichment/{library}.tsv", library=LIBRARIES),
    output:
        summary="results/report/targets.json.gz",
        tables="results/report/targets_top.tsv",
    params:
        alpha=config["report"]["alpha"],
    log:
        "logs/report/report_targets.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens report-targets --results-dir results --mirnas {input.mirnas:q}"
        " --alpha {params.alpha} --out {output.summary:q} --tables-out {output.tables:q}"
        " > {log:q} 2>&1"


rule report:
    input:
        documents="results/literature/documents.tsv",
        # per shard, only what the report quotes and counts (not the mentions themselves)
        quotes=shard_files("results/mentions/{shard}.quotes.parquet"),
        mirnas="results/mirnas.tsv",
        unresolved="results/unresolved.tsv",
        targets=rules.report_targets.output.summary,
        evidence="results/evidence.tsv",
        set_level=expand("results/enrichment/{library}.set_level.tsv", library=LIBRARIES),
        provenance="results/provenance.json",
        config="results/config.json",
    output:
        html=report("results/report/index.html", caption="../report/index.rst", category="Report"),
        plots=report(
            directory("results/report/plots"),
            patterns=["{name}.svg"],
            caption="../report/plots.rst",
            category="Figures",
        ),
    params:
        top=config["report"]["top"],
        alpha=config["report"]["alpha"],
    log:
        "logs/report/report.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens report --results-dir results --out {output.html:q}"
        " --plots-dir {output.plots:q} --provenance {input.provenance:q}"
        " --config {input.config:q} --quotes {input.quotes:q} --top {params.top}"
        " --alpha {params.alpha} --targets-summary {input.targets:q}"
        " --cache-dir resources/cache/report > {log:q} 2>&1"


# The workbook is a job of its own, so that it is written beside the HTML report, not after it.
rule tables:
    input:
        documents="results/literature/documents.tsv",
        mirnas="results/mirnas.tsv",
        targets=rules.report_targets.output.tables,
        enrichment=expand("results/enrichment/{library}.tsv", library=LIBRARIES),
        evidence="results/evidence.tsv",
        set_level=expand("results/enrichment/{library}.set_level.tsv", library=LIBRARIES),
        provenance="results/provenance.json",
        config="results/config.json",
    output:
        report("results/report/tables.xlsx", caption="../report/tables.rst", category="Tables"),
    params:
        top=config["report"]["top"],
        alpha=config["report"]["alpha"],
    # a person's merged table: when the answer's next job is ready too, that goes first
    priority: -1
    log:
        "logs/report/tables.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens tables --results-dir results --out {output:q}"
        " --provenance {input.provenance:q} --config {input.config:q} --top {params.top}"
        " --alpha {params.alpha} --targets {input.targets:q} > {log:q} 2>&1"
