rule fetch:
    input:
        search_results,
    output:
        "results/data/fetched.json",
    log:
        "logs/fetch.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        # a new day reruns the fetch too, so each scheduled run checks for changed records
        day=SEARCH_DAY,
        store=STORE,
        source=pubmed_source(),
    script:
        "../scripts/fetch.py"


rule parse:
    input:
        "results/data/fetched.json",
    output:
        "results/data/records.jsonl",
    log:
        "logs/parse.log",
    conda:
        "../envs/livescreen.yaml"
    # parts of a large store parsed side by side (livescreen.fetch.PARSE_PART PMIDs each)
    threads: 2
    params:
        store=STORE,
        memo=MEMO,
    script:
        "../scripts/parse.py"
