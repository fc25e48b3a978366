# livescreen: mechanism keywords -> PubMed -> screening tables. README.md explains every step.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/search.smk"
include: "rules/fetch.smk"
include: "rules/references.smk"
include: "rules/classify.smk"
include: "rules/imports.smk"
include: "rules/europepmc.smk"
include: "rules/citations.smk"
include: "rules/registry.smk"
include: "rules/dedup.smk"
include: "rules/tables.smk"
include: "rules/export.smk"
include: "rules/prisma.smk"
include: "rules/report.smk"


# The network rules run where the workflow was started, never as cluster jobs: the rate
# limit is counted per API key and address, so more nodes would only break it.
localrules:
    search,
    fetch,
    registry_search,
    references,
    europepmc_search,
    citations,
    citation_records,


onsuccess:
    print(success_lines())


onerror:
    print(failure_lines(since=STARTED), file=sys.stderr)


rule all:
    input:
        all_outputs(),
