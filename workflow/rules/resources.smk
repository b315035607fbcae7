rule fetch:
    output:
        "resources/db/{path}",
    params:
        url=lambda w: DOWNLOAD_BY_PATH[w.path].url,
        key=lambda w: DOWNLOAD_BY_PATH[w.path].key,
        release=lambda w: DOWNLOAD_BY_PATH[w.path].release,
        sha256=lambda w: DOWNLOAD_BY_PATH[w.path].sha256,
        mirror=config["mirror"],
    wildcard_constraints:
        path="|".join(re.escape(p) for p in DOWNLOAD_BY_PATH),
    log:
        "logs/fetch/{path}.log",
    # No process-level retries: the download retries itself with backoff (mirlens.http), so
    # Snakemake's retries would multiply them and delay the error when the network is absent.
    retries: 0
    resources:
        downloads=1,
    conda:
        "../envs/mirlens.yaml"
    shell:
        "python -m mirlens fetch --url {params.url:q} --out {output:q} --mirror={params.mirror:q}"
        " --sha256={params.sha256:q} --key {params.key:q} --release {params.release:q}"
        " --lock resources/sources.lock.json > {log:q} 2>&1"
