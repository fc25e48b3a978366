rule screening_tables:
    input:
        records="results/data/classified.jsonl",
        registrations="results/data/registrations.jsonl",
        searches=search_results,
        references="results/references/essay_references.json",
        registry="results/registry/studies.json",
    output:
        # The tables themselves are not declared: Snakemake deletes a job's outputs before
        # it runs, and with them the decisions reviewers typed into the tables.
        manifest="results/screening/tables.json",
    log:
        "logs/screening_tables.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        store=STORE,
        keywords=KEYWORDS,
        runs="results/runs",
        decisions=config["decisions"],
    script:
        "../scripts/tables.py"
