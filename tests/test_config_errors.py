"""Bad configuration stops the run before any job, naming the key and what to do.

In-process checks for each kind of mistake (unknown key with "did you mean", wrong type,
negative shard count, empty themes, theme naming an unknown library, YAML syntax errors
with file and line), then real ``snakemake -n`` calls showing the run stops before any
job (dry runs included) for a missing literature path, a theme gene set that the
library file on disk does not have, and a broken config/config.yaml.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from workflow_runs import REPO, SNAKEFILE

from mirlens.config import SCHEMA, check_config, load_yaml
from mirlens.errors import MirlensError

BASE = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def _with(path: str, value) -> dict:
    cfg = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = cfg
    for key in parents:
        node = node[key]
    node[last] = value
    return cfg


def _delete(path: str) -> dict:
    cfg = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = cfg
    for key in parents:
        node = node[key]
    node.pop(last)
    return cfg


def test_shipped_config_is_valid():
    check_config(copy.deepcopy(BASE), SCHEMA)


CASES = [
    (
        _with("literature.shard_doc", 4),
        "'literature.shard_doc': unknown key; did you mean 'shard_docs'?",
    ),
    (_with("literature.n_shards", 16), "'literature.n_shards': no longer used: shards follow the"),
    (_with("mirrror", ""), "'mirrror': unknown key; did you mean 'mirror'?"),
    (_with("literature.shard_docs", -2), "'literature.shard_docs': -2 is less than the minimum"),
    (_with("literature.shard_docs", "four"), "'literature.shard_docs': 'four' is not of type"),
    (_with("mirnas.arm_policy", "dominnt"), "did you mean 'dominant'?"),
    (_with("enrichment.themes", {}), "'enrichment.themes': {} should be non-empty"),
    (_with("enrichment.themes.EMT", {}), "'enrichment.themes.EMT': {} should be non-empty"),
    (_with("enrichment.themes.EMT.hallmark", []), "'enrichment.themes.EMT.hallmark': [] should be"),
    (_with("enrichment.themes.EMT", {"vocabulary": ["EMT"]}), "EMT': names no gene sets"),
    (_with("enrichment.themes.EMT.halmark", ["X"]), "no library 'halmark'"),
    (_with("enrichment.strata", 1.5), "'enrichment.strata': 1.5 is not of"),
    (_delete("enrichment.libraries"), "'enrichment': 'libraries' is a required property"),
]


@pytest.mark.parametrize(("cfg", "message"), CASES, ids=[m[:40] for _, m in CASES])
def test_each_mistake_is_named_with_its_key(cfg, message):
    with pytest.raises(MirlensError) as err:
        check_config(cfg, SCHEMA)
    assert message in str(err.value)


def test_reserved_vocabulary_key_is_valid_and_not_a_library():
    cfg = _with("enrichment.themes.EMT.vocabulary", ["epithelial-mesenchymal", "vimentin"])
    check_config(cfg, SCHEMA)
    libs = copy.deepcopy(BASE["enrichment"]["libraries"]["hallmark"])
    with pytest.raises(MirlensError, match="vocabulary"):
        check_config(_with("enrichment.libraries.vocabulary", libs), SCHEMA)


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text("literature:\n  paths: [docs\n  shard_docs: 2\n")
    with pytest.raises(MirlensError, match=r"mine.yaml, line 3, column \d+: YAML syntax error"):
        load_yaml(bad)
    proc = _mirlens("check-config", str(REPO / "config/config.yaml"), str(bad))
    assert proc.returncode == 1 and "mine.yaml, line 3" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_config_layers_files_like_snakemake(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("literature:\n  shard_docs: 4\nenrichment:\n  strata: 10\n")
    ok = _mirlens("check-config", str(REPO / "config/config.yaml"), str(mine))
    assert ok.returncode == 0, ok.stderr
    offline = REPO / "config/offline-example.yaml"
    assert _mirlens("check-config", str(REPO / "config/config.yaml"), str(offline)).returncode == 0
    mine.write_text("literature:\n  shard_docs: 0\n")
    bad = _mirlens("check-config", str(REPO / "config/config.yaml"), str(mine))
    assert bad.returncode == 1 and "'literature.shard_docs': 0 is less than" in bad.stderr


def _mirlens(*args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO / "workflow"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "mirlens", *args], capture_output=True, text=True, env=env
    )


# ---------------------------------------------------------------- real dry runs


def _dry_run(work: Path, cfg: dict | None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(work), "-n"]
    if cfg is not None:
        (work / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        cmd += ["--configfile", str(work / "config.yaml")]
    cmd += ["--cores", "1"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def _offline_cfg(work: Path, **changes) -> dict:
    cfg = copy.deepcopy(BASE)
    cfg["mirror"] = "http://127.0.0.1:9"
    cfg["literature"]["pubmed"]["enabled"] = False
    (work / "docs").mkdir(exist_ok=True)
    cfg["literature"]["paths"] = ["docs"]
    for key, value in changes.items():
        node = cfg
        *parents, last = key.split(".")
        for k in parents:
            node = node[k]
        node[last] = value
    return cfg


def _stopped_before_any_job(proc: subprocess.CompletedProcess, *words: str) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Job stats" not in out and "rule " not in out, out[-2000:]
    for w in words:
        assert w in out, out[-2000:]


def test_dry_run_fails_on_a_missing_literature_path(tmp_path):
    cfg = _offline_cfg(tmp_path, **{"literature.paths": ["docs", "papers/2024"]})
    proc = _dry_run(tmp_path, cfg)
    _stopped_before_any_job(proc, "'literature.paths[1]'", "no such file or folder: papers/2024")


def test_theme_set_missing_from_the_library_on_disk_stops_before_any_job(tmp_path):
    gmt = tmp_path / "mine.gmt"
    gmt.write_text("EMT_CORE\tdesc\tCDH1\tVIM\tSNAI1\tZEB1\tTWIST1\n")
    cfg = _offline_cfg(tmp_path)
    cfg["enrichment"]["libraries"] = {"mine": {"format": "gmt", "path": str(gmt)}}
    cfg["enrichment"]["themes"] = {"EMT": {"mine": ["EMT_CORE", "EMT_CORR"]}}
    proc = _dry_run(tmp_path, cfg)
    _stopped_before_any_job(
        proc,
        "'enrichment.themes.EMT.mine': gene set 'EMT_CORR' is not in library mine",
        "did you mean 'EMT_CORE'?",
    )
    cfg["enrichment"]["themes"] = {"EMT": {"mine": ["EMT_CORE"]}}
    assert _dry_run(tmp_path, cfg).returncode == 0


def test_broken_config_yaml_is_named_with_its_line(tmp_path):
    (tmp_path / "config").mkdir()
    text = (
        (REPO / "config/config.yaml").read_text().replace("shard_docs: 1000", "shard_docs: [1000")
    )
    (tmp_path / "config/config.yaml").write_text(text)
    proc = _dry_run(tmp_path, None)
    line = text.splitlines().index("  shard_docs: [1000") + 1
    _stopped_before_any_job(proc, "config/config.yaml, line", "YAML syntax error")
    out = proc.stdout + proc.stderr
    assert any(f"line {n}, column" in out for n in range(line, line + 3)), out
