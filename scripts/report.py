"""Snakemake rule `report_pages`: the landing page (run summary, highlighted trials, PRISMA
diagram), the search documentation, records per year and the highlighted trials, from
screening.json (livescreen/export/report.py)."""

from pathlib import Path

from livescreen.export.report import write_pages
from livescreen.logs import logged

params = snakemake.params
with logged(snakemake.log[0]) as log:
    # the search documentation names the sources and platforms as configured
    line = write_pages(
        snakemake.input,
        snakemake.output,
        keywords=list(params.keywords),
        essay_date=params.essay_date,
        summary_name=params.run_summary,
        config=snakemake.config,
        memo=Path(params.memo),
    )
    log.info(line)
