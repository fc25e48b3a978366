rule search:
    output:
        "results/search/{keyword}.json",
    log:
        "logs/search/{keyword}.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        day=SEARCH_DAY,
        query=search_query,
        source=pubmed_source(),
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
