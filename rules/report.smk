rule report_pages:
    input:
        # the tables' rows with the decision store's decisions (never the edited CSVs)
        screening="results/screening/screening.json",
        searches=search_results,
        registry="results/registry/studies.json",
        references="results/references/essay_references.json",
        # publication years of the records the essay cites (not in screening.json's rows)
        records="results/data/classified.jsonl",
        # shown on the landing page
        prisma_flow="results/prisma/flow.svg",
    output:
        search_documentation=report(
            "results/report/search_documentation.html",
            caption="../report/search_documentation.rst",
            category="Search",
        ),
        per_year_svg=report(
            "results/report/records_per_year.svg",
            caption="../report/records_per_year.rst",
            category="Records",
        ),
        per_year_png="results/report/records_per_year.png",
        highlighted=report(
            "results/report/highlighted_trials.html",
            caption="../report/highlighted_trials.rst",
            category="Highlighted trials",
        ),
        run_summary=report(
            "results/report/run_summary.html",
            caption="../report/run_summary.rst",
            category="Run summary",
        ),
        # the same summary and table as a fragment, for the landing page (report/workflow.rst)
        landing="results/report/landing.html",
    log:
        "logs/report_pages.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        keywords=KEYWORDS,
        essay_date=config["essay_date"],
        # the run summary (as results/runs/latest_summary.md), in screening.json's
        # run_folder: the screening step writes both, and the folder is known only then
        run_summary="summary.md",
        memo=MEMO,
    script:
        "../scripts/report.py"
