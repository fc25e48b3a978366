"""Snakemake rule `report_pages`: search documentation, records per year, highlighted trials."""

import csv
from pathlib import Path

from livescreen.logs import logged
from livescreen.report import highlighted_table, records_per_year, search_documentation
from livescreen.tables import atomic_path, read_json

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:80em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:3px 6px;vertical-align:top;font-size:90%}}
code{{white-space:pre-wrap}}</style></head><body>{body}</body></html>
"""


def table_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_page(path, title, body):
    with atomic_path(path) as tmp:
        Path(tmp).write_text(PAGE.format(title=title, body=body), encoding="utf-8")


config = snakemake.config
with logged(snakemake.log[0]) as log:
    screening = Path(read_json(snakemake.input.manifest)["tables"][0]).parent
    searches = [read_json(path) for path in snakemake.input.searches]
    documentation = search_documentation(
        searches,
        read_json(snakemake.input.registry),
        read_json(snakemake.input.references),
        config,
    )
    write_page(snakemake.output.search_documentation, "Search documentation", documentation)
    records_per_year(
        table_rows(screening / "to_screen.csv"),
        snakemake.params.keywords,
        snakemake.output.per_year_svg,
        snakemake.output.per_year_png,
    )
    highlighted = table_rows(screening / "highlighted_trials.csv")
    write_page(snakemake.output.highlighted, "Highlighted trials", highlighted_table(highlighted))
    log.info("report pages written; %d highlighted rows", len(highlighted))
