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
        source=config["source"],
    script:
        "../scripts/search.py"


rule search_log:
    input:
        search_results,
    output:
        "results/search_log.csv",
    log:
        "logs/search_log.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/search_log.py"
