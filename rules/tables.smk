rule screening_table:
    input:
        records="results/data/records.jsonl",
        searches=search_results,
        references="results/references/essay_references.json",
    output:
        to_screen="results/screening/to_screen.csv",
        essay_matches="results/screening/essay_matches.csv",
        possible="results/screening/possible_essay_matches.csv",
    log:
        "logs/screening_table.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        store=STORE,
    script:
        "../scripts/tables.py"
