rule screening_table:
    input:
        records="results/data/records.jsonl",
        searches=search_results,
    output:
        to_screen="results/screening/to_screen.csv",
    log:
        "logs/screening_table.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        store=STORE,
    script:
        "../scripts/tables.py"
