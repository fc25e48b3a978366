rule second_matcher:
    input:
        records="results/data/classified.jsonl",
        # the same records the screening step deduplicates (rules/tables.smk)
        imports=imported_records,
        others=other_source_records,
    output:
        "results/data/second_matcher_pairs.json",
    log:
        "logs/second_matcher.log",
    conda:
        "../envs/livescreen.yaml"
    threads: 2
    params:
        matcher=config["deduplicate"]["second_matcher"],
    script:
        "../scripts/second_matcher.py"
