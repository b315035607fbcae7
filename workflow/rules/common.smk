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

from mirlens import startup  # noqa: E402
from mirlens.config import check_config, check_paths, check_theme_sets  # noqa: E402
from mirlens.config import downloads, mirbase_dir, recorded_config  # noqa: E402
from mirlens.download import MIRROR_ENV, PINS_ENV  # noqa: E402
from mirlens.store_keys import RUN_ONLY_SOURCES, store_key  # noqa: E402
from mirlens.errors import MirlensError  # noqa: E402
from mirlens.literature.readers import list_files  # noqa: E402
from mirlens.lockfile import pin_conflicts  # noqa: E402
from mirlens.literature.shards import SHARD_WILDCARD, listing_digest, shard_digests  # noqa: E402

# Everything below stops the run before any job, with the config key's name.
try:
    check_config(config, PKG_DIR / "schemas/config.schema.yaml")
except MirlensError as exc:
    raise WorkflowError(str(exc)) from None
validate(config, "../schemas/config.schema.yaml")  # fills in schema defaults
LOCK_FILE = Path("resources/sources.lock.json")
PASSIVE = startup.is_passive(sys.argv)  # dry run, lint, summary...: no side effects
try:
    check_paths(config)
    DOWNLOADS = downloads(config)
    problems = pin_conflicts(LOCK_FILE, {d.url: d.sha256 for d in DOWNLOADS.values() if d.sha256})
    if problems:
        raise MirlensError("\n  ".join(problems))
    if workflow.is_main_process:
        startup.remove_stale_locks()
        changed = startup.repair_changed_downloads(
            LOCK_FILE, [d.path for d in DOWNLOADS.values()], PASSIVE, config["mirror"]
        )
        library_files = {
            lib: DOWNLOADS[f"library.{lib}"].path if "url" in spec else spec["path"]
            for lib, spec in config["enrichment"]["libraries"].items()
        }
        verified = {k: p for k, p in library_files.items() if not (PASSIVE and p in changed)}
        check_theme_sets(config, verified)
        missing = [d.url for d in DOWNLOADS.values() if not os.path.exists(d.path)]
        if missing and not config["mirror"] and not PASSIVE:
            offline = startup.offline_problem(missing)
            if offline:
                raise MirlensError(offline)
except MirlensError as exc:
    raise WorkflowError(str(exc)) from None

# Where a file is fetched from is not what it is: the mirror and the pins reach `fetch`
# through the environment, not as params, so changing them reruns nothing; the lock
# file's sha256 decides whether a downloaded file is the right one.
os.environ[MIRROR_ENV] = config["mirror"]
os.environ[PINS_ENV] = json.dumps({d.url: d.sha256 for d in DOWNLOADS.values() if d.sha256})


onstart:
    # Snakemake now holds the directory lock: leftovers of killed jobs can go.
    startup.mark_run()
    startup.clean_leftovers()


onsuccess:
    startup.unmark_run()


onerror:
    startup.unmark_run()


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

# fetch output wildcard (path below resources/db/) -> download
DOWNLOAD_BY_PATH = {d.path.removeprefix("resources/db/"): d for d in DOWNLOADS.values()}
mirbase_dir(config)  # checks that every miRBase file comes from one release folder
LIT = config["literature"]
SOURCES = config["targets"]["use"]
LIBRARIES = sorted(config["enrichment"]["libraries"])
# Every tested miRNA x set row (millions for GO) only when asked: the readable tables, the
# set-level answer, the evidence and the report never read them.
EVERY_ROW = config["enrichment"]["every_row"]


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


def literature_listing(wildcards):
    """Digest of the literature folders' listing (names, sizes, mtimes): a changed, new or
    removed document makes `collect` read again. No document is a Snakemake input, so a
    symlink loop, a FIFO or an odd file name never stops the DAG; `collect` lists them."""
    return listing_digest(LIT["paths"], list_files)


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
    return shard_digests(table).get(wildcards.shard, "absent")


def shard_files(pattern):
    """The pattern for every shard `collect` made (its table lists them in reading order)."""

    def files(wildcards):
        table = checkpoints.collect.get().output.table
        return expand(pattern, shard=list(shard_digests(table)))

    return files


def shard_input(wildcards):
    # ancient(): a rewritten but unchanged shard must not rerun its extraction; the digest
    # param (above) decides instead. The shard files are not outputs of the checkpoint:
    # listing thousands of them there made every extract job expand them all (quadratic).
    checkpoints.collect.get()
    return ancient(f"results/literature/shards/{wildcards.shard}.jsonl")


# ---------------------------------------------------------------- targets
def store_path(source, name="targets.parquet"):
    release = config["sources"][source]["release"]
    return f"resources/store/{source}/{release}/{name}"


def release_files(wildcards):
    return [d.path for k, d in DOWNLOADS.items() if k.startswith(f"{wildcards.source}.")]


# The miRNA set as the FASTA (names, accessions, sequences; no counts), which changes only
# when the set does: see `checkpoint mirnas`.
MIRNA_SET = "results/sequences/mirnas.fa"


def select_inputs(wildcards):
    mirnas = MIRNA_SET
    if wildcards.source == "literature":  # the run's own documents' claims
        return {"mirnas": mirnas, "claims": "results/claims.tsv"}
    if wildcards.source == "encori":  # a per-miRNA API: nothing parsed ahead of time
        return {"mirnas": mirnas, "gene_info": db("ncbi.gene_info")}
    return {"mirnas": mirnas, "store": store_path(wildcards.source)}


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
    if wildcards.source == "literature":
        return f"--claims results/claims.tsv --min-documents {t.get('min_documents', 1)}"
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


# Per-release stores: the background consensus and every background miRNA's statistics
# depend only on the inputs hashed into their keys, never on the literature.
BG_SOURCES = [s for s in SOURCES if s not in RUN_ONLY_SOURCES]
BG_KEY = store_key(
    {
        "species": config["species"],
        "sources": {s: config["sources"][s] for s in [*BG_SOURCES, "mirbase", "ncbi"]},
        "thresholds": {s: config["targets"].get(s, {}) for s in BG_SOURCES},
        "consensus": config["targets"]["consensus"],
    }
)
BG_DIR = f"resources/store/background/{BG_KEY}"


# The run's consensus is a selection of the per-release background (every miRNA's
# consensus under the same sources, thresholds and rule) unless a run-only source is used:
# then it combines the run's per-source tables.
CONSENSUS_FROM_BACKGROUND = not set(SOURCES) & set(RUN_ONLY_SOURCES)


def consensus_inputs(wildcards):
    if CONSENSUS_FROM_BACKGROUND:
        return {"background": f"{BG_DIR}/background.parquet", "mirnas": MIRNA_SET}
    return {
        "targets": expand("results/targets/{source}.tsv", source=SOURCES),
        # Not read: Snakemake re-checks only the direct dependents of a checkpoint, so jobs
        # that depend on the miRNA set alone name it to be skipped when it did not change.
        "mirna_set": MIRNA_SET,
    }


def consensus_args(wildcards, input):
    if CONSENSUS_FROM_BACKGROUND:
        return f"--background {shlex.quote(input.background)} --mirnas {shlex.quote(input.mirnas)}"
    return "--inputs " + " ".join(shlex.quote(t) for t in input.targets)


def enrichment_store(wildcards):
    e = config["enrichment"]
    key = store_key(
        {
            "background": BG_KEY,
            "library": e["libraries"][wildcards.library],
            "min_size": e["min_set_size"],
            "max_size": e["max_set_size"],
            "strata": e["strata"],
        }
    )
    return f"resources/store/enrichment/{key}/{wildcards.library}.parquet"


# ---------------------------------------------------------------- evidence
def evidence_mirtarbase():
    """The run's validated pairs, when miRTarBase is a used source."""
    return ["results/targets/mirtarbase.tsv"] if "mirtarbase" in SOURCES else []


def by_library(paths):
    """`LIB=PATH` arguments, one per library, in LIBRARIES order (paths from expand())."""
    return " ".join(shlex.quote(f"{lib}={path}") for lib, path in zip(LIBRARIES, paths))
