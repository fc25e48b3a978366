rule imports:
    input:
        # the export files themselves: a new or replaced export reruns the import
        import_files,
    output:
        records="results/data/imported.jsonl",
        summary="results/data/imports.json",
    log:
        "logs/imports.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        # name, format, date and query as run: a change re-reads the exports
        imports=config["imports"],
        files=IMPORT_FILES,
    script:
        "../scripts/imports.py"


rule classify_imports:
    input:
        "results/data/imported.jsonl",
    output:
        "results/data/imported_classified.jsonl",
    log:
        "logs/classify_imports.log",
    conda:
        "../envs/livescreen.yaml"
    threads: 2
    params:
        # the same classifier and settings as PubMed's records (rules/classify.smk)
        settings=classification_settings(),
        cache="results/data/classify_cache_imports.sqlite",
    script:
        "../scripts/classify.py"
