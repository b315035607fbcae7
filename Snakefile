# mirlens: documents -> miRNA mentions -> targets -> pathway enrichment -> report.
# Logic lives in the mirlens package (workflow/mirlens); rules only wire files.
from snakemake.utils import min_version

min_version("8.20")


include: "workflow/rules/config_file.smk"


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/resources.smk"
include: "workflow/rules/literature.smk"
include: "workflow/rules/mirnas.smk"
include: "workflow/rules/targets.smk"
include: "workflow/rules/enrichment.smk"
include: "workflow/rules/evidence.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        "results/report/index.html",
        "results/provenance.json",
        "results/evidence.tsv",
