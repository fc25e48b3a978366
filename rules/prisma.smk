rule prisma:
    input:
        searches=search_results,
        registry="results/registry/studies.json",
        # the tables it lists are read as the reviewers left them (not Snakemake outputs)
        manifest="results/screening/tables.json",
    output:
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
    log:
        "logs/prisma.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/prisma.py"
