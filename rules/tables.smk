rule screening_tables:
    input:
        records="results/data/classified.jsonl",
        registrations="results/data/registrations.jsonl",
        searches=search_results,
        references="results/references/essay_references.json",
        registry="results/registry/studies.json",
        # database exports, classified, and their summary (none without `imports:`)
        imports=imported_records,
        # Europe PMC and citation chasing, classified, and what each searched (none when off)
        others=other_source_records,
        other_summaries=other_source_summaries,
        # bib-dedupe's duplicate pairs (none unless `deduplicate.second_matcher` names it)
        second_opinion=second_opinion,
    output:
        # The tables themselves are not declared: Snakemake deletes a job's outputs before
        # it runs, and with them the decisions reviewers typed into the tables.
        manifest=SCREENING_OUTPUTS[0],
        screening=SCREENING_OUTPUTS[1],
    log:
        "logs/screening_tables.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        store=STORE,
        keywords=KEYWORDS,
        runs="results/runs",
        decisions=config["decisions"],
        essay_title_match=config["essay_title_match"],
        exclusion_reasons=config["exclusion_reasons"],
        workbook=config["workbook"],
        reviewers=config["reviewers"],
        order=config["order"],
        stopping=config["stopping"],
        second_matcher=config["deduplicate"]["second_matcher"],
        # the decision store's fingerprint: the tables are rebuilt whenever it changed
        decisions_state=DECISIONS_STATE,
        memo=MEMO,
    script:
        "../scripts/tables.py"
