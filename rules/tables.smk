rule screening_table:
    input:
        records="results/data/records.jsonl",
        searches=search_results,
    output:
        to_screen="results/screening/to_screen.csv",
    params:
        store=STORE,
    log:
        "logs/screening_table.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/tables.py"
