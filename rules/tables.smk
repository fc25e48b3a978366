rule screening_tables:
    input:
        records="results/data/classified.jsonl",
        registrations="results/data/registrations.jsonl",
        searches=search_results,
        references="results/references/essay_references.json",
    output:
        to_screen="results/screening/to_screen.csv",
        highlighted="results/screening/highlighted_trials.csv",
        registered="results/screening/registered_trials.csv",
        by_mechanism=expand(
            "results/screening/by_mechanism/{keyword}.csv", keyword=KEYWORDS
        ),
        essay_matches="results/screening/essay_matches.csv",
        possible="results/screening/possible_essay_matches.csv",
    log:
        "logs/screening_tables.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        store=STORE,
        keywords=KEYWORDS,
    script:
        "../scripts/tables.py"
