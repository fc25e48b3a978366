# One job searches every keyword, in a few threads: a job per keyword cost a Python process
# and Snakemake's bookkeeping each, several times the requests' own time (docs/benchmarks.md).
rule search:
    output:
        search_results(),
    log:
        expand("logs/search/{keyword}.log", keyword=KEYWORDS),
    conda:
        "../envs/livescreen.yaml"
    params:
        day=SEARCH_DAY,
        # a changed query (or a keyword added) reruns the searches
        queries=search_queries(),
        source=pubmed_source(),
        workers=NETWORK_WORKERS,
    script:
        "../scripts/search.py"


rule search_log:
    input:
        searches=search_results,
        # each database export's summary (none without `imports:`): one line each
        imports=import_summary,
        # each keyword's Europe PMC search and its translation (none when disabled)
        europepmc=europepmc_results,
    output:
        "results/search_log.csv",
    log:
        "logs/search_log.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/search_log.py"
