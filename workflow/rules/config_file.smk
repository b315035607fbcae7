# Read before `configfile:` so that a YAML syntax error in config/config.yaml names its
# file, line and column (Snakemake's own message names neither). Files given with
# --configfile are read by Snakemake before any workflow code: for those, run
# `python -m mirlens check-config FILE...` (README, Configuration).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.current_basedir).parent))  # workflow/, as in common.smk

from mirlens.config import load_yaml  # noqa: E402
from mirlens.errors import MirlensError  # noqa: E402

if Path("config/config.yaml").is_file():
    try:
        load_yaml("config/config.yaml")
    except MirlensError as exc:
        raise WorkflowError(str(exc)) from None
