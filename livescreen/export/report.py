"""Report pieces for `snakemake --report`: the landing page (the latest run's summary, the
highlighted trials and the PRISMA 2020 diagram), the search documentation (PRISMA-S), all
searched records per year per mechanism, and the highlighted trials as a linked table.

What was screened comes from the screening step's machine-readable output,
``results/screening/screening.json`` (the tables' rows as text, with the decision store's
current decisions), never from the CSVs reviewers edit; the searches from their own records
(``results/search/<keyword>.json``), shown exactly as run.

Public API
----------
``read_screening(path) -> dict``
    ``screening.json``, checked for the lists the report reads.
``search_documentation(searches, registry, references, config) -> str``
    The PRISMA-S items as an HTML fragment; each query and translation byte for byte
    (HTML-escaped) as the search record holds it.
``highlighted_table(rows) -> str``
    The highlighted trials and registrations as an HTML table with links.
``run_summary(markdown) -> str``
    A run's ``summary.md`` as HTML (headings, bullets, bold, pipe tables).
``landing(summary, rows, prisma_svg) -> str``
    The fragment ``report/workflow.rst`` puts on the report's first page: the run summary,
    the highlighted trials and the PRISMA 2020 flow diagram, with its own (scoped) style.
``year_counts(publications, essay_matches, searches, years) -> YearCounts``
    Records per (keyword, year): to screen, and cited by the essay.
``per_year_figure(counts, keywords, essay_date) -> Figure`` / ``records_per_year(...)``
    The heat map, with a colour bar, the essay's date as a line and the essay-cited records
    marked; ``records_per_year`` also writes it as SVG and PNG.
``page(title, body) -> str`` / ``write_html(path, text)``
    A stand-alone HTML page; written atomically.

HTML: every value is escaped; every link opens in a new tab (``target="_blank"
rel="noopener"``): the report shows each page inside a frame, where a link would otherwise
open; every table sits in a wrapper that scrolls sideways (``overflow-x: auto``), and long
queries wrap inside their cells (``white-space: pre-wrap``), so nothing is cut off.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from livescreen import memo as memo_files
from livescreen.files import LIST_SEPARATOR, atomic_path, iter_jsonl, read_json

if TYPE_CHECKING:  # matplotlib is imported only when a figure is drawn
    from matplotlib.figure import Figure

SOFTWARE = ("livescreen", "snakemake", "requests", "lxml", "rapidfuzz", "tenacity")
SCREENING_KEYS = ("run", "run_folder", "publications", "essay_matches", "highlighted")
LANDING_ID = "livescreen-landing"
ESSAY_ROW = "cited by the essay (each once)"
ESSAY_HATCH = "////"

# One style for the pages (inside the report's frame) and, scoped under LANDING_ID, for the
# landing fragment.
STYLE = """
body{font-family:sans-serif;margin:0.8em;line-height:1.35}
.scroll{overflow-x:auto;max-width:100%;margin:0.5em 0}
table{border-collapse:collapse}
td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top;font-size:90%;text-align:left}
th{background:#f2f2f2}
tr.item td{border-top:2px solid #888;background:#fafafa}
td.title{min-width:12em}
td.why{font-size:85%;color:#333}
td.query{max-width:60em}
td.query code{display:block;white-space:pre-wrap;overflow-wrap:anywhere;font-size:95%}
code{white-space:pre-wrap;overflow-wrap:anywhere}
img.prisma{max-width:100%;height:auto}
"""
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<base target="_blank"><style>{style}</style></head><body>{body}</body></html>
"""
# The landing fragment lives inside Snakemake's page, in a narrow "prose" column beside the
# rule graph, in a pane that centres its content vertically (which would cut off the top of
# anything taller than the window): start the pane at the top, widen that column and put the
# graph below it. Each rule applies only to the elements holding the fragment; should
# Snakemake's classes change, the fragment still shows, only narrower.
LANDING_STYLE = f"""
.overflow-auto:has(#{LANDING_ID}){{align-items:flex-start}}
div:has(> div > .prose #{LANDING_ID}){{flex-wrap:wrap}}
div:has(> .prose #{LANDING_ID}){{flex:1 1 100%;min-width:0}}
.prose:has(#{LANDING_ID}){{max-width:72rem}}
#{LANDING_ID} .scroll{{overflow-x:auto;max-width:100%}}
#{LANDING_ID} table{{border-collapse:collapse;margin:0.3em 0}}
#{LANDING_ID} td,#{LANDING_ID} th{{border:1px solid #bbb;padding:2px 6px;vertical-align:top;
text-align:left}}
#{LANDING_ID} th{{background:#f2f2f2}}
#{LANDING_ID} tr.item td{{border-top:2px solid #888}}
#{LANDING_ID} td.title{{min-width:12em}}
#{LANDING_ID} td.why{{font-size:90%}}
#{LANDING_ID} img.prisma{{max-width:100%;height:auto}}
"""


class ReportError(ValueError):
    """An input the report cannot be built from; the message says which and why."""


def read_screening(path: str | Path) -> dict:
    """``screening.json``, checked for the lists the report reads."""
    data = read_json(path)
    if missing := [key for key in SCREENING_KEYS if key not in data]:
        raise ReportError(
            f"{path} has no {', '.join(missing)}; it is not from this version of livescreen: "
            "run the workflow again (snakemake --forcerun screening_tables)"
        )
    return data


# -- pages ------------------------------------------------------------------------------------


def page(title: str, body: str) -> str:
    """A stand-alone HTML page (UTF-8, the report's style, links to a new tab)."""
    return PAGE.format(title=_e(title), style=STYLE, body=body)


def write_html(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def search_documentation(
    searches: list[dict],
    registry: dict,
    references: list[dict],
    config: dict,
    imports: list[dict] = (),
    deduplication: dict | None = None,
    other_methods: list[dict] = (),
) -> str:
    """PRISMA-S items as an HTML fragment: each source and platform (each database export
    with its date, query as run and count), each query exactly as run with its translation,
    date and count, limits, and how duplicates were removed."""
    rows = "".join(
        '<tr class="item">'
        f"<td><b>{_e(s['slug'])}</b></td><td>{_e(s['source_label'])}</td>"
        f"<td>{_e(s['run_date'])}</td><td>{s['count']}</td><td>{len(s['pmids'])}</td>"
        f"<td>{_e('; '.join(s['warnings']))}</td></tr>"
        f'<tr><td colspan="6" class="query">query as sent: <code>{_e(s["query"])}</code></td></tr>'
        '<tr><td colspan="6" class="query">translation: '
        f"<code>{_e(s['translation'] or '')}</code></td></tr>"
        for s in searches
    )
    query = "; ".join(f"{k} = {v}" for k, v in registry["query"].items())
    exports = "".join(
        (
            f"<li><b>{_e(s['name'])}</b>, searched by hand on "
            f"{_e(s.get('searched') or 'a date not given')} and exported "
            f"({_e(', '.join(f['file'] for f in s['files']))}): {s['records']} records; "
            if s["files"]
            else f"<li><b>{_e(s['name'])}</b>, searched by livescreen on "
            f"{_e(s.get('searched') or 'a date not given')}: {s['records']} records; "
        )
        + f"query as run: <code>{_e(s.get('query') or 'not given')}</code>.</li>"
        for s in imports
    )
    exports += "".join(
        f"<li><b>{_e(m['name'])}</b> (other methods), on {_e(m.get('searched') or '?')}: "
        f"{_e(m['query'])}; {m['seeds']} seeds, {m['records']} records found.</li>"
        for m in other_methods
    )
    dedup = deduplication or {}
    across = (
        f"<p>Records of all sources (PubMed, Europe PMC, citation chasing and database exports: "
        f"{dedup.get('records', 0)} "
        f"records) are clustered by identifiers (PMID, DOI, PMCID, NCT id), then by blocked "
        "fuzzy matching of title, authors, year, journal, volume and pages "
        f"(livescreen.dedup{_second_matcher(dedup)}): {dedup.get('duplicates', 0)} duplicates "
        "merged into "
        f"{dedup.get('works', 0)} works, each keeping every source's ids (found_by). Close "
        "calls are never merged: they are listed in possible_duplicates.csv for a human. "
        "Preprints and articles, errata and abstracts are linked (related), not merged.</p>"
        if imports
        else ""
    )
    resolved = Counter(ref["method"] for ref in references)
    software = ", ".join(f"{name} {version(name)}" for name in SOFTWARE)
    return f"""
<h2>Search documentation (PRISMA-S)</h2>
<h3>Information sources and platforms</h3>
<ul>
<li><b>MEDLINE/PubMed</b>, {_pubmed_platform(searches, config)}.</li>
{exports}
<li><b>ClinicalTrials.gov</b>, searched through its API v2 ({_e(registry["source_label"])}):
<code>{_e(query)}</code>, {registry["total"]} studies on {_e(registry.get("run_date", ""))}.</li>
<li>The seed essay's reference list ({len(references)} references): its works are set aside
from screening (resolved by ECitMatch: {resolved["ecitmatch"]}, by title search:
{resolved["title-search"]}, not resolved or not in PubMed: {resolved["none"]}).</li>
</ul>
<h3>Search strategies, exactly as run</h3>
<p>Each mechanism's query is ANDed with the MDMA block and the PTSD block; the queries below
are complete as sent. <i>Translation</i> is PubMed's QueryTranslation (offline: the
evaluator's reading of the query), as the search recorded it.
Limits: none beyond the queries themselves (no language or date limits); the
comparative-trials query includes the Cochrane Highly Sensitive Search Strategy for
randomised trials (sensitivity- and precision-maximising version, 2008 revision), widened to
protocols and meta-analyses.</p>
<p>One block per search: its keyword, source, date, count, PMIDs retrieved and warnings,
then the query as sent and its translation in full.</p>
<div class="scroll"><table>
<tr><th>keyword</th><th>source</th><th>date</th><th>count</th><th>retrieved</th>
<th>warnings</th></tr>
{rows}
</table></div>
<h3>Deduplication</h3>
<p>Records found by several searches are merged by PMID. Searched records that the essay
already cites are matched to its resolved references by PMID, then DOI, then normalised
title similarity (rapidfuzz; at least {config["essay_title_match"]["match"]:g} of 100, year
within ±1, same first author); close calls (from
{config["essay_title_match"]["possible"]:g}) are listed for a human and stay in screening.
Publications and registrations of one trial are linked by NCT id and registry references.</p>
{across}
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


def highlighted_table(rows: list[dict]) -> str:
    """The highlighted trials and registrations as an HTML table with links."""
    body = "".join(
        '<tr class="item">'
        f"<td>{_e(r.get('trial_id'))}<br>{_e(r.get('record_type'))}</td>"
        f'<td class="title">{_link(r.get("pubmed_url") or r.get("registry_url"), r.get("title"))}'
        f"</td><td>{_e(r.get('design'))}<br>{_e(r.get('relation_to_established'))}</td>"
        f"<td>{_e(r.get('established_treatments'))}</td>"
        f"<td>{_e(r.get('year') or r.get('status'))}</td><td>{_e(r.get('decision'))}</td></tr>"
        f'<tr><td colspan="6" class="why">why: {_e(r.get("highlight_reason"))}</td></tr>'
        for r in rows
    )
    return (
        f"<h2>Highlighted trials and registrations ({len(rows)})</h2>"
        '<div class="scroll"><table><tr><th>trial, type</th><th>title</th>'
        "<th>design, relation</th><th>established treatments</th>"
        f"<th>year / status</th><th>decision</th></tr>{body}</table></div>"
    )


def run_summary(markdown: str) -> str:
    """A run's ``summary.md`` (`livescreen.review.runs.summary_text`) as HTML: ``#`` headings,
    ``-`` bullets, ``**bold**`` and pipe tables; everything else as paragraphs."""
    out: list[str] = []
    bullets: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if bullets:
            out.append("<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>")
            bullets.clear()
        if table:
            head, *body = table
            cells = "".join(f"<th>{c}</th>" for c in head)
            rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in body)
            out.append(f'<div class="scroll"><table><tr>{cells}</tr>{rows}</table></div>')
            table.clear()

    for line in markdown.splitlines():
        text = line.strip()
        if text.startswith("|"):
            cells = [c.strip() for c in text.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                table.append([_inline(c) for c in cells])
            continue
        if text.startswith("- "):
            bullets.append(_inline(text[2:]))
            continue
        flush()
        if heading := re.match(r"(#{1,4}) (.*)", text):
            level = min(len(heading.group(1)) + 1, 6)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif text:
            out.append(f"<p>{_inline(text)}</p>")
    flush()
    return "\n".join(out)


def _inline(text: str) -> str:
    escaped = _e(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def landing(summary: str, rows: list[dict], prisma_svg: bytes | None = None) -> str:
    """The report's first page: the latest run's summary (``summary.md``), the highlighted
    trials and the PRISMA 2020 flow diagram, as a fragment with its style scoped to it
    (`report/workflow.rst` inserts it)."""
    return (
        f'<div id="{LANDING_ID}"><style>{LANDING_STYLE}</style>'
        f"{landing_body(summary, rows, prisma_svg)}</div>\n"
    )


def landing_body(summary: str, rows: list[dict], prisma_svg: bytes | None = None) -> str:
    """The landing page's content (also the report's "Run summary" page)."""
    parts = [run_summary(summary), highlighted_table(rows)]
    if prisma_svg:
        data = base64.b64encode(prisma_svg).decode("ascii")
        parts.append(
            "<h2>PRISMA 2020 flow diagram: the review so far</h2>"
            f'<img class="prisma" src="data:image/svg+xml;base64,{data}" '
            'alt="PRISMA 2020 flow diagram of the review so far">'
        )
    return "\n".join(parts)


def _link(url: str | None, text) -> str:
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" target="_blank" rel="noopener">{_e(text)}</a>'
    return _e(text)


def _second_matcher(dedup: dict) -> str:
    """ ", with bib-dedupe 0.11.0 as second matcher ..." when config asked for one."""
    if not dedup.get("second_matcher"):
        return ""
    return (
        f", with {_e(dedup['second_matcher'])} as second matcher: its duplicate calls merged "
        "unless livescreen's rules forbid it"
    )


def _e(value) -> str:
    return html.escape(str(value if value is not None else ""))


# -- records per year -------------------------------------------------------------------------


@dataclass
class YearCounts:
    """Searched records by (keyword, year): those to screen, and those the essay cites
    (which left screening for ``essay_matches``); ``essay`` counts each essay-cited record
    once by year; ``undated`` records have no year and are not drawn."""

    to_screen: Counter = field(default_factory=Counter)
    essay_cited: Counter = field(default_factory=Counter)
    essay: Counter = field(default_factory=Counter)
    undated: int = 0

    def total(self, slug: str, year: int) -> int:
        return self.to_screen[slug, year] + self.essay_cited[slug, year]

    def years(self) -> list[int]:
        return sorted({year for _, year in [*self.to_screen, *self.essay_cited]})


def year_counts(
    publications: Iterable[Mapping],
    essay_matches: Iterable[Mapping],
    searches: Iterable[Mapping],
    years: Mapping[str, int | str | None],
) -> YearCounts:
    """Every searched record by keyword and publication year: screening.json's
    ``publications`` (their ``mechanisms`` and ``year``) and its ``essay_matches`` (the
    keywords whose searches returned them, and their year from `years`, by PMID)."""
    counts = YearCounts()
    for row in publications:
        year = _year(row.get("year"))
        if year is None:
            counts.undated += 1
            continue
        for slug in _split(row.get("mechanisms")):
            counts.to_screen[slug, year] += 1
    found_by: dict[str, list[str]] = {}
    for search in searches:
        for pmid in search["pmids"]:
            found_by.setdefault(str(pmid), []).append(search["slug"])
    for row in essay_matches:
        pmid = str(row["pmid"])
        year = _year(years.get(pmid))
        if year is None:
            counts.undated += 1
            continue
        counts.essay[year] += 1
        for slug in found_by.get(pmid, []):
            counts.essay_cited[slug, year] += 1
    return counts


def record_years(records: Iterable[Mapping], pmids: Iterable[str]) -> dict[str, int | None]:
    """The publication year of each of `pmids` among `records` (``classified.jsonl``)."""
    wanted = {str(p) for p in pmids}
    return {r["pmid"]: r.get("year") for r in records if r["pmid"] in wanted}


def per_year_figure(counts: YearCounts, keywords: list[str], essay_date: str) -> Figure:
    """The heat map: one row per keyword (every record its search found: to screen plus
    cited by the essay) and a last row of the essay-cited records, one column per year, a
    colour bar, the essay's date as a dashed line. Cells holding essay-cited records are
    hatched and labelled ``to screen+cited``."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    essay = dt.date.fromisoformat(essay_date)
    found = counts.years()
    years = list(range(min([*found, essay.year]), max([*found, essay.year]) + 1))
    labels = [*keywords, ESSAY_ROW]
    grid = [[counts.total(slug, year) for year in years] for slug in keywords]
    grid.append([counts.essay[year] for year in years])
    peak = max(max(line) for line in grid) or 1
    figure, axes = plt.subplots(figsize=(max(7.0, 0.55 * len(years) + 5), 0.45 * len(labels) + 2))
    image = axes.imshow(grid, cmap="Blues", aspect="auto", vmin=0, vmax=peak)
    colorbar = figure.colorbar(image, ax=axes, pad=0.02, fraction=0.04)
    colorbar.set_label("records found")
    colorbar.set_ticks(sorted({round(peak * i / 4) for i in range(5)}))
    for i, line in enumerate(grid):
        for j, n in enumerate(line):
            cited = counts.essay_cited[labels[i], years[j]] if i < len(keywords) else n
            if cited:
                axes.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        fill=False,
                        hatch=ESSAY_HATCH,
                        edgecolor="darkorange",
                        linewidth=0,
                    )
                )
            if n:
                text = str(n) if i == len(keywords) or not cited else f"{n - cited}+{cited}"
                colour = "white" if n > peak / 2 else "black"
                axes.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
    axes.axhline(len(keywords) - 0.5, color="grey", linewidth=1)
    position = years.index(essay.year) - 0.5 + (essay.timetuple().tm_yday - 1) / _days(essay.year)
    essay_line = axes.axvline(
        position, color="crimson", linestyle="--", linewidth=1.5, label=f"essay {essay_date}"
    )
    axes.text(position, -0.6, f" essay {essay_date}", color="crimson", fontsize=8, va="bottom")
    axes.set_xticks(range(len(years)), [str(y) for y in years], rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("publication year")
    undated = f"; {counts.undated} without a year not shown" if counts.undated else ""
    axes.set_title(
        f"All searched records per year and mechanism keyword{undated}", fontsize=10, pad=16
    )
    axes.legend(
        handles=[
            Patch(
                facecolor="white",
                edgecolor="darkorange",
                hatch=ESSAY_HATCH,
                label="includes records the essay cites (label: to screen+cited)",
            ),
            essay_line,
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2 if len(years) < 12 else -0.12),
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    figure.tight_layout()
    return figure


def records_per_year(
    counts: YearCounts, keywords: list[str], essay_date: str, svg_path, png_path, memo=None
) -> None:
    """`per_year_figure`, written as SVG (no date in it: the same counts give the same file)
    and PNG; drawn again only when what it shows changed, with a `memo` folder
    (livescreen.memo)."""
    shown = (
        sorted(counts.to_screen.items()),
        sorted(counts.essay_cited.items()),
        sorted(counts.essay.items()),
        counts.undated,
        list(keywords),
        essay_date,
    )
    memo_files.files(
        memo,
        "records_per_year",
        shown,
        [svg_path, png_path],
        lambda: _draw_per_year(counts, keywords, essay_date, svg_path, png_path),
    )


def _draw_per_year(counts, keywords, essay_date, svg_path, png_path) -> None:
    figure = per_year_figure(counts, keywords, essay_date)  # selects matplotlib's backend
    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.hashsalt": "livescreen-report"}):  # fixed ids
        figure.savefig(svg_path, metadata={"Date": None}, bbox_inches="tight")
    figure.savefig(png_path, dpi=150, bbox_inches="tight")
    plt.close(figure)


def _year(value) -> int | None:
    text = str(value or "").strip()
    return int(text[:4]) if text[:4].isdigit() else None


def _days(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def _split(cell) -> list[str]:
    return [part.strip() for part in str(cell or "").split(LIST_SEPARATOR) if part.strip()]


def write_pages(
    inputs,
    outputs,
    *,
    keywords: list[str],
    essay_date: str,
    summary_name: str,
    config: dict,
    memo: Path | None = None,
) -> str:
    """The `report_pages` rule: every page from screening.json and the search records;
    returns the log line. `inputs`/`outputs` are the rule's named files; `memo`: where the
    figure of unchanged counts is kept (livescreen.memo)."""
    screening = read_screening(inputs.screening)
    searches = [read_json(path) for path in inputs.searches]
    documentation = search_documentation(
        searches,
        read_json(inputs.registry),
        read_json(inputs.references),
        config,
        screening.get("imports") or [],
        screening.get("deduplication") or {},
        screening.get("other_methods") or [],
    )
    write_html(outputs.search_documentation, page("Search", documentation))
    essay = screening["essay_matches"]
    years = record_years(iter_jsonl(inputs.records), [row["pmid"] for row in essay])
    counts = year_counts(screening["publications"], essay, searches, years)
    records_per_year(
        counts, keywords, essay_date, outputs.per_year_svg, outputs.per_year_png, memo
    )
    highlighted = screening["highlighted"]
    write_html(outputs.highlighted, page("Highlighted trials", highlighted_table(highlighted)))
    summary = Path(screening["run_folder"]) / summary_name
    text = summary.read_text(encoding="utf-8")
    prisma = Path(inputs.prisma_flow).read_bytes()
    body = landing_body(text, highlighted, prisma)
    write_html(outputs.run_summary, page(f"Run {screening['run']}", body))
    write_html(outputs.landing, landing(text, highlighted, prisma))
    return f"report pages written from {summary}; {len(highlighted)} highlighted rows"
