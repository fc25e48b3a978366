"""Snakemake rule `report_pages`: the landing page (run summary, highlighted trials, PRISMA
diagram), the search documentation, records per year and the highlighted trials, from
screening.json."""

from pathlib import Path

from livescreen import report
from livescreen.files import iter_jsonl, read_json
from livescreen.logs import logged

inputs, params, outputs = snakemake.input, snakemake.params, snakemake.output
with logged(snakemake.log[0]) as log:
    screening = report.read_screening(inputs.screening)
    searches = [read_json(path) for path in inputs.searches]
    documentation = report.search_documentation(
        searches, read_json(inputs.registry), read_json(inputs.references), snakemake.config
    )
    report.write_html(outputs.search_documentation, report.page("Search", documentation))
    essay = screening["essay_matches"]
    years = report.record_years(iter_jsonl(inputs.records), [row["pmid"] for row in essay])
    counts = report.year_counts(screening["publications"], essay, searches, years)
    report.records_per_year(
        counts, params.keywords, params.essay_date, outputs.per_year_svg, outputs.per_year_png
    )
    highlighted = screening["highlighted"]
    table = report.highlighted_table(highlighted)
    report.write_html(outputs.highlighted, report.page("Highlighted trials", table))
    summary = Path(screening["run_folder"]) / params.run_summary
    text = summary.read_text(encoding="utf-8")
    prisma = Path(inputs.prisma_flow).read_bytes()
    body = report.landing_body(text, highlighted, prisma)
    report.write_html(outputs.run_summary, report.page(f"Run {screening['run']}", body))
    report.write_html(outputs.landing, report.landing(text, highlighted, prisma))
    log.info("report pages written from %s; %d highlighted rows", summary, len(highlighted))
