"""Report pieces: the search documentation (PRISMA-S), records per year per mechanism, and
the highlighted trials as a linked table, for `snakemake --report`.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from importlib.metadata import version

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from .tables import LIST_SEPARATOR  # noqa: E402

SOFTWARE = ("livescreen", "snakemake", "requests", "lxml", "rapidfuzz", "tenacity")


def search_documentation(
    searches: list[dict], registry: dict, references: list[dict], config: dict
) -> str:
    """PRISMA-S items as an HTML fragment: each source and platform, each query exactly as
    run with its translation, date and count, limits, and how duplicates were removed."""
    rows = "".join(
        "<tr>"
        f"<td>{_e(s['slug'])}</td><td>{_e(s['source_label'])}</td><td>{_e(s['run_date'])}</td>"
        f"<td>{s['count']}</td><td>{len(s['pmids'])}</td>"
        f"<td><code>{_e(s['query'])}</code></td><td><code>{_e(s['translation'] or '')}</code></td>"
        f"<td>{_e('; '.join(s['warnings']))}</td>"
        "</tr>"
        for s in searches
    )
    query = "; ".join(f"{k} = {v}" for k, v in registry["query"].items())
    resolved = Counter(ref["method"] for ref in references)
    software = ", ".join(f"{name} {version(name)}" for name in SOFTWARE)
    return f"""
<h2>Search documentation (PRISMA-S)</h2>
<h3>Information sources and platforms</h3>
<ul>
<li><b>MEDLINE/PubMed</b>, {_pubmed_platform(searches, config)}.</li>
<li><b>ClinicalTrials.gov</b>, searched through its API v2 ({_e(registry["source_label"])}):
<code>{_e(query)}</code>, {registry["total"]} studies on {_e(registry.get("run_date", ""))}.</li>
<li>The seed essay's reference list ({len(references)} references): its works are set aside
from screening (resolved by ECitMatch: {resolved["ecitmatch"]}, by title search:
{resolved["title-search"]}, not resolved or not in PubMed: {resolved["none"]}).</li>
</ul>
<h3>Search strategies, exactly as run</h3>
<p>Each mechanism's query is ANDed with the MDMA block and the PTSD block; the queries below
are complete as sent. <i>Translation</i> is PubMed's QueryTranslation (offline: the
evaluator's reading of the query). Limits: none beyond the queries themselves (no language
or date limits); the comparative-trials query includes the Cochrane Highly Sensitive Search
Strategy for randomised trials (sensitivity- and precision-maximising version, 2008 revision),
widened to protocols and meta-analyses.</p>
<table>
<tr><th>keyword</th><th>source</th><th>date</th><th>count</th><th>retrieved</th>
<th>query as sent</th><th>translation</th><th>warnings</th></tr>
{rows}
</table>
<h3>Deduplication</h3>
<p>Records found by several searches are merged by PMID. Searched records that the essay
already cites are matched to its resolved references by PMID, then DOI, then normalised
title similarity (rapidfuzz; at least {config["essay_title_match"]["match"]:g} of 100, year
within ±1, same first author); close calls (from
{config["essay_title_match"]["possible"]:g}) are listed for a human and stay in screening.
Publications and registrations of one trial are linked by NCT id and registry references.</p>
<p>Software: {_e(software)}.</p>
"""


def _pubmed_platform(searches: list[dict], config: dict) -> str:
    url = f"NCBI E-utilities at <code>{_e(config['eutils_base_url'])}</code>"
    if config["source"] == "snapshot":
        label = _e(searches[0]["source_label"]) if searches else "the bundled snapshot"
        return (
            f"searched offline in {label}: the configured queries evaluated over bundled real "
            f"PubMed records (a live run searches {url})"
        )
    return f"searched through {url} (esearch with the history server, efetch for records)"


def records_per_year(rows: Iterable[dict], keywords: list[str], svg_path, png_path) -> None:
    """A heat map of records per publication year (columns) and mechanism keyword (rows),
    each cell labelled with its count; a record found by several keywords counts in each."""
    counts: Counter = Counter()
    for row in rows:
        if row.get("year"):
            for slug in row["mechanisms"].split(LIST_SEPARATOR):
                if slug in keywords:
                    counts[slug, int(row["year"])] += 1
    found = [year for _, year in counts]
    years = list(range(min(found), max(found) + 1)) if found else []
    grid = [[counts[slug, year] for year in years] for slug in keywords]
    figure, axes = plt.subplots(figsize=(max(6, 0.55 * len(years) + 4), 0.45 * len(keywords) + 1.6))
    if years:
        axes.imshow(grid, cmap="Blues", aspect="auto", vmin=0)
        peak = max(max(line) for line in grid) or 1
        for i, line in enumerate(grid):
            for j, n in enumerate(line):
                if n:
                    colour = "white" if n > peak / 2 else "black"
                    axes.text(j, i, str(n), ha="center", va="center", color=colour, fontsize=8)
        axes.set_xticks(range(len(years)), [str(y) for y in years], rotation=90, fontsize=8)
    else:
        axes.text(0.5, 0.5, "no records", ha="center", transform=axes.transAxes)
    axes.set_yticks(range(len(keywords)), keywords, fontsize=8)
    axes.set_xlabel("publication year")
    axes.set_title("Records to screen per year and mechanism keyword")
    figure.tight_layout()
    figure.savefig(svg_path, metadata={"Date": None})
    figure.savefig(png_path, dpi=150)
    plt.close(figure)


def highlighted_table(rows: list[dict]) -> str:
    """The highlighted trials and registrations as an HTML table with links."""
    body = "".join(
        "<tr>"
        f"<td>{_e(r['record_type'])}</td><td>{_e(r['trial_id'])}</td>"
        f"<td>{_link(r.get('pubmed_url') or r.get('registry_url'), r['title'])}</td>"
        f"<td>{_e(r['design'])}</td><td>{_e(r['relation_to_established'])}</td>"
        f"<td>{_e(r['established_treatments'])}</td><td>{_e(r.get('year') or r.get('status'))}</td>"
        f"<td>{_e(r['decision'])}</td><td>{_e(r['highlight_reason'])}</td>"
        "</tr>"
        for r in rows
    )
    return (
        f"<h2>Highlighted trials and registrations ({len(rows)})</h2>"
        "<table><tr><th>type</th><th>trial</th><th>title</th><th>design</th><th>relation</th>"
        "<th>established treatments</th><th>year / status</th><th>decision</th>"
        f"<th>why</th></tr>{body}</table>"
    )


def _link(url: str | None, text: str) -> str:
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}">{_e(text)}</a>'
    return _e(text)


def _e(value) -> str:
    return html.escape(str(value if value is not None else ""))
