"""The report's pages (`livescreen.export.report`): links to a new tab, tables that scroll inside
their frame, queries and translations exactly as the search recorded them, the landing page,
and the heat map of every searched record (essay-cited ones included) with its colour bar and
the essay's date.

The rows are shaped like `results/screening/screening.json` (cells as text); the searches
like `results/search/<keyword>.json`. Titles and identifiers are constructed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from html.parser import HTMLParser

import pytest
from matplotlib.lines import Line2D

from livescreen.export import report
from livescreen.export.report import (
    ESSAY_ROW,
    LANDING_ID,
    ReportError,
    highlighted_table,
    landing,
    page,
    per_year_figure,
    read_screening,
    record_years,
    records_per_year,
    run_summary,
    search_documentation,
    year_counts,
)

KEYWORDS = ["openness", "comparative_trials"]
# A translation as PubMed writes it, with characters HTML must escape and both MeSH tags.
TRANSLATION = (
    '"clinical trials as topic"[MeSH Terms:noexp] OR "clinical trials as topic"[mh:noexp] '
    'OR ("personality"[mh] AND "a<b & c>d"[tiab]) OR "o\'brien"[au]'
)
QUERY = '("Clinical Trials as Topic"[mh:noexp] OR openness[tiab]) AND "a<b & c>d"[tiab]'


def search(slug, pmids, query=QUERY, translation=TRANSLATION, source="pubmed"):
    return {
        "slug": slug,
        "query": query,
        "translation": translation,
        "count": len(pmids),
        "warnings": [],
        "run_date": "2026-12-01",
        "source": source,
        "source_label": "PubMed" if source == "pubmed" else "offline snapshot",
        "pmids": pmids,
    }


SEARCHES = [
    search("openness", ["28635375"]),
    search("comparative_trials", ["30000001", "30000002", "28635375", "29000003"]),
]
REGISTRY = {
    "query": {"query.cond": "PTSD", "query.intr": "MDMA"},
    "source_label": "ClinicalTrials.gov",
    "total": 8,
    "run_date": "2026-12-01",
}
REFERENCES = [{"method": "ecitmatch"}, {"method": "none"}]
CONFIG = {
    "source": "pubmed",
    "eutils_base_url": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/",
    "essay_title_match": {"match": 93, "possible": 80},
    "essay_date": "2021-09-03",
}
PUBLICATIONS = [
    {"pmid": "30000001", "year": "2023", "mechanisms": "comparative_trials", "decision": ""},
    {"pmid": "30000002", "year": "2023", "mechanisms": "comparative_trials", "decision": ""},
    {"pmid": "30000009", "year": "", "mechanisms": "comparative_trials", "decision": ""},
]
# screening.json's essay matches carry no year or keywords: those come from the records and
# the searches.
ESSAY_MATCHES = [
    {"pmid": "28635375", "essay_ref": 12, "method": "pmid", "score": 100, "decision": ""},
    {"pmid": "29000003", "essay_ref": 3, "method": "title", "score": 97, "decision": ""},
]
YEARS = {"28635375": 2017, "29000003": "2018"}
HIGHLIGHTED = [
    {
        "record_type": "publication",
        "trial_id": "NCT05000001",
        "pmid": "30000001",
        "title": "MDMA-assisted therapy versus prolonged exposure <a randomised trial>",
        "pubmed_url": "https://pubmed.ncbi.nlm.nih.gov/30000001/",
        "design": "rct",
        "relation_to_established": "head-to-head",
        "established_treatments": "prolonged exposure",
        "year": "2023",
        "decision": "include",
        "highlight_reason": "highlighted: design rct; head-to-head",
    },
    {
        "record_type": "registration",
        "trial_id": "NCT05837845",
        "nct_id": "NCT05837845",
        "title": "MDMA-assisted CPT versus CPT",
        "registry_url": "https://clinicaltrials.gov/study/NCT05837845",
        "design": "rct",
        "relation_to_established": "head-to-head",
        "established_treatments": "cognitive processing therapy",
        "status": "RECRUITING",
        "decision": "",
        "highlight_reason": "highlighted: design rct; head-to-head",
    },
]
SUMMARY = """# livescreen run 2026-12-01T12:00:00Z

- records to screen: 3 publications, 1 registrations
- **the decision store's last line was cut off** (a crash mid-write): see `torn_lines.txt`

| source | keyword | count | new this run | awaiting a decision |
|---|---|---|---|---|
| PubMed <live> | openness | 1 | 0 | 0 |

## New highlighted trials

- NCT05837845: MDMA-assisted CPT versus CPT
"""


class Html(HTMLParser):
    """Links, the stack of tags around each table, and the text of each <code>."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.links, self.tables, self.codes, self.images = [], [], [], []
        self.stack, self._code = [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "table":
            self.tables.append([(t, a.get("class")) for t, a in self.stack])
        if tag == "code":
            self._code = []
        if tag not in ("br", "img", "meta", "base"):
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            self._code = None
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._code is not None:
            self._code.append(data)


def pages():
    documentation = search_documentation(SEARCHES, REGISTRY, REFERENCES, CONFIG)
    return {
        "search documentation": page("Search", documentation),
        "highlighted": page("Highlighted", highlighted_table(HIGHLIGHTED)),
        "landing": landing(SUMMARY, HIGHLIGHTED, b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    }


# -- HTML -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["search documentation", "highlighted", "landing"])
def test_every_link_opens_in_a_new_tab(name):
    text = pages()[name]
    links = Html(text).links
    if name != "search documentation":
        assert len(links) == len(HIGHLIGHTED)
    for link in links:
        assert link["target"] == "_blank", link
        assert "noopener" in link["rel"].split(), link
    assert text.count("<a ") == len(links)


def test_links_are_the_records_pages():
    hrefs = [link["href"] for link in Html(highlighted_table(HIGHLIGHTED)).links]
    assert hrefs == [
        "https://pubmed.ncbi.nlm.nih.gov/30000001/",
        "https://clinicaltrials.gov/study/NCT05837845",
    ]


def test_pages_default_to_a_new_tab_too():
    assert '<base target="_blank">' in page("x", "")


@pytest.mark.parametrize("name", ["search documentation", "highlighted", "landing"])
def test_every_table_scrolls_inside_its_frame(name):
    tables = Html(pages()[name]).tables
    assert tables
    for around in tables:
        assert ("div", "scroll") in around
    style = report.STYLE if name != "landing" else report.LANDING_STYLE
    assert ".scroll{overflow-x:auto" in style


def test_queries_wrap_in_their_cells():
    assert "td.query code{display:block;white-space:pre-wrap;overflow-wrap:anywhere" in (
        report.STYLE
    )
    documentation = search_documentation(SEARCHES, REGISTRY, REFERENCES, CONFIG)
    assert documentation.count('class="query"') == 2 * len(SEARCHES)


def test_query_and_translation_exactly_as_the_search_recorded_them():
    documentation = search_documentation(SEARCHES, REGISTRY, REFERENCES, CONFIG)
    codes = Html(documentation).codes
    assert codes.count(QUERY) == len(SEARCHES)
    assert codes.count(TRANSLATION) == len(SEARCHES)
    assert "[MeSH Terms:noexp]" in TRANSLATION and "[mh:noexp]" in TRANSLATION
    # escaped, not dropped or rewritten
    assert "&quot;a&lt;b &amp; c&gt;d&quot;[tiab]" in documentation
    assert "[mh:noexp]" in documentation and "[MeSH Terms:noexp]" in documentation


def test_landing_opens_on_the_summary_then_the_highlighted_trials_and_prisma():
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><text>PRISMA</text></svg>"
    fragment = landing(SUMMARY, HIGHLIGHTED, svg)
    assert fragment.startswith(f'<div id="{LANDING_ID}"><style>')
    run = fragment.index("livescreen run 2026-12-01T12:00:00Z")
    table = fragment.index("Highlighted trials and registrations (2)")
    diagram = fragment.index("PRISMA 2020 flow diagram")
    assert run < table < diagram
    (image,) = Html(fragment).images
    assert image["src"] == "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    # the style is scoped to the fragment (the report's own page is not restyled)
    style = fragment[fragment.index("<style>") + 7 : fragment.index("</style>")]
    rules = [rule for rule in style.replace("\n", "").split("}") if rule.strip()]
    assert all(LANDING_ID in rule.split("{")[0] for rule in rules)


def test_run_summary_markdown():
    text = run_summary(SUMMARY)
    assert "<h2>livescreen run 2026-12-01T12:00:00Z</h2>" in text
    assert "<li>records to screen: 3 publications, 1 registrations</li>" in text
    assert "<b>the decision store&#x27;s last line was cut off</b>" in text
    assert "<code>torn_lines.txt</code>" in text
    assert "<th>awaiting a decision</th>" in text
    assert "<td>PubMed &lt;live&gt;</td><td>openness</td>" in text
    assert "---" not in text
    assert "<h3>New highlighted trials</h3>" in text
    assert Html(text).tables == [[("div", "scroll")]]


def test_read_screening_names_what_is_missing(tmp_path):
    path = tmp_path / "screening.json"
    path.write_text(json.dumps({"run": "x", "run_folder": "y", "publications": []}))
    with pytest.raises(ReportError, match="has no essay_matches, highlighted"):
        read_screening(path)


# -- records per year -------------------------------------------------------------------------


def test_year_counts_include_the_records_the_essay_cites():
    counts = year_counts(PUBLICATIONS, ESSAY_MATCHES, SEARCHES, YEARS)
    assert counts.to_screen == {("comparative_trials", 2023): 2}
    # 28635375 (2017) was found by both keywords, 29000003 (2018) by one
    assert counts.essay_cited == {
        ("openness", 2017): 1,
        ("comparative_trials", 2017): 1,
        ("comparative_trials", 2018): 1,
    }
    assert counts.essay == {2017: 1, 2018: 1}
    assert counts.total("openness", 2017) == 1  # the openness row is not empty
    assert counts.undated == 1
    assert counts.years() == [2017, 2018, 2023]


def test_record_years_of_the_essay_matches():
    records = [{"pmid": "28635375", "year": 2017}, {"pmid": "1", "year": 2000}]
    assert record_years(records, ["28635375", "5"]) == {"28635375": 2017}


def figure_parts(figure):
    (axes,) = [a for a in figure.axes if a.images and a.images[0].colorbar is not None]
    return axes, axes.images[0]


def test_figure_has_a_colour_bar_the_essay_date_and_the_essay_row():
    counts = year_counts(PUBLICATIONS, ESSAY_MATCHES, SEARCHES, YEARS)
    figure = per_year_figure(counts, KEYWORDS, "2021-09-03")
    axes, image = figure_parts(figure)
    colorbar = image.colorbar
    assert colorbar.ax in figure.axes and colorbar.ax is not axes
    assert colorbar.ax.get_ylabel() == "records found"
    assert image.get_clim() == (0, 2)

    years = [int(label.get_text()) for label in axes.get_xticklabels()]
    assert years == list(range(2017, 2024))  # the essay's year and every record's year
    (line,) = [
        item
        for item in axes.lines
        if isinstance(item, Line2D) and item.get_label() == "essay 2021-09-03"
    ]
    x = line.get_xdata()[0]
    day = (dt.date(2021, 9, 3).timetuple().tm_yday - 1) / 365
    assert x == pytest.approx(years.index(2021) - 0.5 + day)
    assert line.get_linestyle() == "--"
    assert "essay 2021-09-03" in [t.get_text() for t in axes.get_legend().get_texts()]

    rows = [label.get_text() for label in axes.get_yticklabels()]
    assert rows == [*KEYWORDS, ESSAY_ROW]
    grid = image.get_array()
    assert grid[0][years.index(2017)] == 1  # openness: one essay-cited record
    assert grid[1][years.index(2023)] == 2
    assert grid[2][years.index(2017)] == grid[2][years.index(2018)] == 1
    labels = {t.get_text() for t in axes.texts}
    assert {"0+1", "2", "1", " essay 2021-09-03"} <= labels
    hatched = [p for p in axes.patches if p.get_hatch()]
    assert len(hatched) == 3 + 2  # the keyword cells and the essay row's cells
    assert "1 without a year" in axes.get_title()


def test_figure_with_no_records_still_shows_the_essay_year():
    figure = per_year_figure(year_counts([], [], [], {}), KEYWORDS, "2021-09-03")
    axes, image = figure_parts(figure)
    assert [label.get_text() for label in axes.get_xticklabels()] == ["2021"]
    assert image.colorbar is not None


def test_records_per_year_writes_svg_and_png(tmp_path):
    counts = year_counts(PUBLICATIONS, ESSAY_MATCHES, SEARCHES, YEARS)
    svg, png = tmp_path / "per_year.svg", tmp_path / "per_year.png"
    records_per_year(counts, KEYWORDS, "2021-09-03", svg, png)
    first = svg.read_bytes()
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<dc:date>" not in first
    records_per_year(counts, KEYWORDS, "2021-09-03", svg, png)
    assert svg.read_bytes() == first


# -- the rule and the report ------------------------------------------------------------------


@pytest.mark.workflow
def test_report_opens_on_the_run_summary(tmp_path):
    """`snakemake --report` on the snapshot: the landing page holds the latest run's summary,
    the highlighted trials and the PRISMA diagram; the pages read screening.json."""
    from tests.test_workflow import copy_project, snakemake

    workdir = copy_project(tmp_path)
    snakemake(workdir, "--configfile", ".test/config/snapshot.yaml")
    snakemake(workdir, "--report", "report.html", "--configfile", ".test/config/snapshot.yaml")
    text = (workdir / "report.html").read_text(encoding="utf-8")
    start = text.index("var workflow_desc = ")
    description = json.loads(text[start + 20 : text.index("\n", start)].rstrip(";"))
    summary = (workdir / "results" / "runs" / "latest_summary.md").read_text(encoding="utf-8")
    first_line = summary.splitlines()[0].removeprefix("# ")
    assert description.index(LANDING_ID) < description.index(first_line)
    assert description.index(first_line) < description.index("Highlighted trials and")
    assert "data:image/svg+xml;base64," in description
    assert description.index("PRISMA 2020 flow diagram") < description.index("About this")
    screening = json.loads((workdir / "results" / "screening" / "screening.json").read_text())
    for row in screening["highlighted"]:
        assert report._e(row["title"]) in description
