rule prisma:
    input:
        searches=search_results,
        registry="results/registry/studies.json",
        # the tables' rows with the decision store's decisions: changes when they do
        screening="results/screening/screening.json",
    output:
        # the review so far (every run), then this update; both also copied into the
        # run's folder, results/runs/<time>/prisma/ (its path is known only at run time)
        counts=report(
            "results/prisma/counts.csv",
            caption="../report/prisma_counts.rst",
            category="PRISMA 2020",
        ),
        by_keyword="results/prisma/counts_by_keyword.csv",
        svg=report(
            "results/prisma/flow.svg",
            caption="../report/prisma_flow.rst",
            category="PRISMA 2020",
        ),
        png="results/prisma/flow.png",
        update_counts="results/prisma/update_counts.csv",
        update_svg=report(
            "results/prisma/update_flow.svg",
            caption="../report/prisma_update_flow.rst",
            category="PRISMA 2020",
        ),
        update_png="results/prisma/update_flow.png",
    log:
        "logs/prisma.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/prisma.py"
