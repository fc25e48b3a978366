rule ris:
    input:
        records="results/data/classified.jsonl",
        registrations="results/data/registrations.jsonl",
        # the tables' rows with the decision store's decisions (never the edited CSVs)
        screening="results/screening/screening.json",
    output:
        to_screen="results/screening/to_screen.ris",
        highlighted="results/screening/highlighted_trials.ris",
    log:
        "logs/ris.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/ris.py"


rule asreview_dataset:
    input:
        # the tables' rows with the decision store's decisions (never the edited CSVs)
        screening="results/screening/screening.json",
    output:
        # ASReview LAB's dataset format; `livescreen asreview-import` reads its export back
        "results/exports/asreview_dataset.csv",
    log:
        "logs/asreview_dataset.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/asreview_dataset.py"
