rule classify:
    input:
        "results/data/records.jsonl",
    output:
        "results/data/classified.jsonl",
    log:
        "logs/classify.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        essay_date=config["essay_date"],
        vocabulary=config.get("vocabulary", {}),
    script:
        "../scripts/classify.py"
