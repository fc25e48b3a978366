rule fetch:
    input:
        search_results,
    output:
        "results/data/fetched.json",
    params:
        store=STORE,
    log:
        "logs/fetch.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/fetch.py"


rule parse:
    input:
        "results/data/fetched.json",
    output:
        "results/data/records.jsonl",
    params:
        store=STORE,
    log:
        "logs/parse.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/parse.py"
