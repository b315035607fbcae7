rule pubmed:
    output:
        "results/literature/pubmed.jsonl",
    params:
        query=LIT.get("pubmed", {}).get("query", ""),
        mindate=LIT.get("pubmed", {}).get("mindate", ""),
        maxdate=LIT.get("pubmed", {}).get("maxdate", ""),
        max_records=LIT.get("pubmed", {}).get("max_records", 0),
        email=LIT.get("pubmed", {}).get("email", ""),
        tool=LIT.get("pubmed", {}).get("tool", "mirlens"),
        base_url=LIT.get("pubmed", {}).get("base_url", ""),
    log:
        "logs/literature/pubmed.log",
    resources:
        downloads=1,
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens pubmed --query {params.query:q} --mindate {params.mindate:q}"
        " --maxdate {params.maxdate:q} --max-records {params.max_records}"
        " --email={params.email:q} --tool {params.tool:q} --base-url={params.base_url:q}"
        " --cache-dir resources/cache/pubmed --out {output:q} > {log:q} 2>&1"


rule europepmc:
    output:
        "results/literature/europepmc.jsonl",
    params:
        query=LIT.get("europepmc", {}).get("query", ""),
        from_date=LIT.get("europepmc", {}).get("from_date", ""),
        to_date=LIT.get("europepmc", {}).get("to_date", ""),
        max_records=LIT.get("europepmc", {}).get("max_records", 0),
        base_url=LIT.get("europepmc", {}).get("base_url", ""),
    log:
        "logs/literature/europepmc.log",
    resources:
        downloads=1,
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens europepmc --query {params.query:q} --from-date {params.from_date:q}"
        " --to-date {params.to_date:q} --max-records {params.max_records}"
        " --base-url={params.base_url:q} --cache-dir resources/cache/europepmc"
        " --out {output:q} > {log:q} 2>&1"


checkpoint collect:
    input:
        queries=query_outputs(),
    output:
        documents="results/literature/documents.tsv",
        table="results/literature/shards.tsv",
    params:
        paths=LIT["paths"],
        shard_docs=LIT["shard_docs"],
        listing=literature_listing,
    log:
        "logs/literature/collect.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens collect --inputs {params.paths:q} {input.queries:q}"
        " --shard-docs {params.shard_docs} --cache-dir resources/cache/read"
        " --out-dir results/literature > {log:q} 2>&1"


rule extract:
    input:
        shard=shard_input,
        mirbase=mirbase_files(),
        family_info=db("targetscan.family_info"),
        themes="results/enrichment/theme_context.json",
    output:
        mentions="results/mentions/{shard}.parquet",
        mirnas="results/mentions/{shard}.mirnas.parquet",
        unresolved="results/mentions/{shard}.unresolved.parquet",
        context="results/mentions/{shard}.context.parquet",
        quotes="results/mentions/{shard}.quotes.parquet",
    params:
        digest=shard_digest,
        mirbase=mirbase_folder,
        species=config["species"],
        arm_policy=config["mirnas"]["arm_policy"],
        cluster_distance=config["mirnas"]["cluster_distance"],
    wildcard_constraints:
        shard=SHARD_WILDCARD,
    log:
        "logs/mentions/{shard}.log",
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens extract-shard {input.shard:q} --out {output.mentions:q}"
        " --mirnas-out {output.mirnas:q} --unresolved-out {output.unresolved:q}"
        " --context-out {output.context:q} --quotes-out {output.quotes:q}"
        " --cache-dir resources/cache/extract"
        " --mirbase {params.mirbase:q}"
        " --species {params.species} --arm-policy {params.arm_policy}"
        " --family-info {input.family_info:q} --cluster-distance {params.cluster_distance}"
        " --themes {input.themes:q} > {log:q} 2>&1"
