"""`mirlens prefetch`: download every configured source into a mirror folder.

For air-gapped clusters: run it where there is internet, copy the folder, and set
``mirror: <folder>`` in the config there. The folder has the layout ``<host>/<path>``
that ``mirror`` expects, and its own ``sources.lock.json``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import yaml

from mirlens.config import check_config, downloads
from mirlens.download import fetch, url_relpath
from mirlens.errors import MirlensError

log = logging.getLogger(__name__)
SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="config/config.yaml", help="workflow config file")
    parser.add_argument("--out", required=True, help="mirror folder to write")
    parser.add_argument("--mirror", default="", help="fetch from this mirror instead")


def run(args: argparse.Namespace) -> int:
    try:
        config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MirlensError(f"cannot read config {args.config}: {exc}") from exc
    check_config(config, SCHEMA)
    out = Path(args.out)
    failed = []
    for key, d in sorted(downloads(config).items()):
        try:
            res = fetch(
                d.url,
                out / url_relpath(d.url),
                mirror=args.mirror or config.get("mirror") or None,
                sha256=d.sha256 or None,
                lock_path=out / "sources.lock.json",
                key=key,
                release=d.release,
            )
            log.info("%s: %s (%d bytes)", key, res.path, res.size)
        except MirlensError as exc:  # keep going: report every failed source at the end
            log.error("%s: %s", key, exc)
            failed.append(key)
    if failed:
        raise MirlensError(f"{len(failed)} source(s) failed: {', '.join(failed)}")
    return 0
