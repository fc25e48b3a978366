rule classify:
    input:
        "results/data/records.jsonl",
    output:
        "results/data/classified.jsonl",
    log:
        "logs/classify.log",
    conda:
        "../envs/livescreen.yaml"
    threads: 2
    params:
        # everything besides a record that decides its classification (a change reclassifies)
        settings=classification_settings(),
        cache="results/data/classify_cache.sqlite",
    script:
        "../scripts/classify.py"
