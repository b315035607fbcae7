"""Write a rule's `value` param as pretty, key-sorted JSON (byte-stable across runs)."""

import json

with open(snakemake.output[0], "w", encoding="utf-8") as fh:  # noqa: F821 (injected)
    json.dump(snakemake.params.value, fh, indent=2, sort_keys=True)  # noqa: F821
    fh.write("\n")
