rule fetch:
    output:
        "resources/db/{path}",
    params:
        url=lambda w: DOWNLOAD_BY_PATH[w.path].url,
        key=lambda w: DOWNLOAD_BY_PATH[w.path].key,
        release=lambda w: DOWNLOAD_BY_PATH[w.path].release,
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
        # mirror and sha256 pins come from $MIRLENS_MIRROR / $MIRLENS_SHA256_PINS (common.smk);
        # retries happen inside (with Retry-After, a deadline and a log of each attempt).
        "python -m mirlens fetch --url {params.url:q} --out {output:q} --key {params.key:q}"
        " --release {params.release:q} --lock resources/sources.lock.json > {log:q} 2>&1"
