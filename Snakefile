# The workflow lives in workflow/Snakefile (the Snakemake catalog's layout, reachable by
# snakedeploy); this file keeps `snakemake --cores 4` working from the repository root.
include: "workflow/Snakefile"


# An included file cannot set the default target, so name it here.
rule default:
    default_target: True
    input:
        rules.all.input,
