import json
import os
import re
import shlex
import sys
from pathlib import Path

from snakemake.settings.types import DeploymentMethod
from snakemake.utils import validate

# The package lives beside the rules (workflow/mirlens); importing it needs no installation.
# current_basedir (workflow/rules), not basedir: the main Snakefile may be workflow/Snakefile
# (snakedeploy) or the top-level one that includes it.
PKG_DIR = Path(workflow.current_basedir).parent
sys.path.insert(0, str(PKG_DIR))

from mirlens.config import check_config, downloads, mirbase_dir  # noqa: E402
from mirlens.errors import MirlensError  # noqa: E402
from mirlens.literature.readers import list_files  # noqa: E402

try:
    check_config(config, PKG_DIR / "schemas/config.schema.yaml")
except MirlensError as exc:
    raise WorkflowError(str(exc)) from None
validate(config, "../schemas/config.schema.yaml")  # fills in schema defaults

# Jobs run `python -m mirlens` from workflow/ (no installation needed) with the Python that
# runs Snakemake (e.g. .venv/bin/snakemake, venv not activated), or with the rule's conda env /
# container. On a cluster that Python is called by its absolute path on the submit host, so the
# venv must sit on a filesystem the nodes share (README "Cluster use"); where it does not, the
# job stops at once and says so (in logs/slurm/...) instead of failing on a missing import.
_BIN = shlex.quote(os.path.dirname(sys.executable))
_PY = (
    ""
    if {DeploymentMethod.CONDA, DeploymentMethod.APPTAINER}
    & set(workflow.deployment_settings.deployment_method)
    else (
        f'[ -x {_BIN}/python ] || {{{{ echo "mirlens: {_BIN}/python is not on $(hostname):'
        f' put the venv on a filesystem the nodes share, or use --sdm conda" >&2; exit 1; }}}}; '
        f"export PATH={_BIN}:$PATH; "
    )
)
_PKG = shlex.quote(str(PKG_DIR))
shell.prefix(f"set -euo pipefail; export PYTHONPATH={_PKG}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; {_PY}")

DOWNLOADS = downloads(config)
# fetch output wildcard (path below resources/db/) -> download
DOWNLOAD_BY_PATH = {d.path.removeprefix("resources/db/"): d for d in DOWNLOADS.values()}
mirbase_dir(config)  # checks that every miRBase file comes from one release folder
LIT = config["literature"]
SHARDS = [f"{i:03d}" for i in range(LIT["n_shards"])]
SOURCES = config["targets"]["use"]
LIBRARIES = sorted(config["enrichment"]["libraries"])


def db(key):
    """Local path of a configured download, by ``<source>.<name>`` key."""
    return DOWNLOADS[key].path


def db_optional(key):
    return [DOWNLOADS[key].path] if key in DOWNLOADS else []


def mirbase_files():
    return [d.path for k, d in DOWNLOADS.items() if k.startswith("mirbase.")]


def mirbase_folder(wildcards, input):
    """The miRBase download folder (that of mature.fa), as `mirlens --mirbase` wants it."""
    return os.path.dirname(input.mirbase[0])


def document_files():
    """Every file `collect` will read (the readers' own walk): a new one makes it rerun."""
    files = []
    for entry in LIT["paths"]:
        if os.path.isdir(entry):
            files.extend(list_files(entry))
        elif os.path.lexists(entry):
            files.append(entry)
    return files


def query_outputs():
    out = []
    if LIT.get("pubmed", {}).get("enabled"):
        out.append("results/literature/pubmed.jsonl")
    if LIT.get("europepmc", {}).get("enabled"):
        out.append("results/literature/europepmc.jsonl")
    return out


def shard_digest(wildcards):
    """Content digest of one shard: the only thing that makes its extraction rerun."""
    table = checkpoints.collect.get().output.table
    with open(table, encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            shard, _n, digest = line.rstrip("\n").split("\t")[:3]
            if shard == wildcards.shard:
                return digest
    return "absent"


def shard_input(wildcards):
    # ancient(): a rewritten but unchanged shard must not rerun its extraction; the digest
    # param (above) decides instead.
    checkpoints.collect.get()
    return ancient(f"results/literature/shards/{wildcards.shard}.jsonl")


# ---------------------------------------------------------------- targets
def store_path(source, name="targets.parquet"):
    release = config["sources"][source]["release"]
    return f"resources/store/{source}/{release}/{name}"


def release_files(wildcards):
    return [d.path for k, d in DOWNLOADS.items() if k.startswith(f"{wildcards.source}.")]


def select_inputs(wildcards):
    if wildcards.source == "encori":  # a per-miRNA API: nothing parsed ahead of time
        return {"mirnas": "results/mirnas.tsv", "gene_info": db("ncbi.gene_info")}
    return {"mirnas": "results/mirnas.tsv", "store": store_path(wildcards.source)}


def threshold_args(wildcards):
    t = config["targets"].get(wildcards.source, {})
    if wildcards.source == "targetscan":
        flags = [
            f"--max-context-score {t['max_context_score']}",
            f"--min-percentile {t['min_percentile']}",
        ]
        return " ".join(flags + (["--conserved-only"] if t["conserved_only"] else []))
    if wildcards.source == "mirdb":
        return f"--min-score {t['min_score']}"
    if wildcards.source == "mirtarbase":
        return f"--evidence {t['evidence']}"
    if wildcards.source == "encori":
        return (
            f"--base-url {t['base_url']} --min-clip-experiments {t['min_clip_experiments']}"
            f" --gene-info {db('ncbi.gene_info')} --cache-dir resources/cache/encori"
        )
    return ""


# ---------------------------------------------------------------- enrichment
def library_raw(wildcards):
    spec = config["enrichment"]["libraries"][wildcards.library]
    return db(f"library.{wildcards.library}") if "url" in spec else spec["path"]
