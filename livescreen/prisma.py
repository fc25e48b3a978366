"""PRISMA 2020 counts and flow diagram for a livescreen run (an update of a living review).

`prisma_counts` fills the fields of the PRISMA2020 tool's template (`PRISMA.csv` of the
PRISMA2020 R package and Shiny app, github.com/prisma-flowdiagram/PRISMA2020; the `data`
names are the template's) that livescreen can know; `flow_diagram` draws the PRISMA 2020 flow
diagram for *updated* reviews that searched databases and registers only (previous studies
column; identification of new studies via databases and registers; screening; included).

**What one run counts.** Each run (one `screening_tables` job, named by the manifest's
`run`) searches PubMed with every keyword and ClinicalTrials.gov once, in full (the searches
are not date-limited). The "previous version of the review" is everything earlier runs showed
in the tables; "new" is what this run shows for the first time. With

* H: the keyword searches' hits, summed over keywords (a PMID found by three keywords counts
  three times); U: the distinct PMIDs among them;
* E: the PMIDs in U that the essay cites (`essay_matches.csv`);
* F: the publications in `to_screen.csv` this run found (`still_found` true); of them, those
  with `first_seen` equal to the run are new (N), the others were screened by an earlier run;
* R: the registrations the registry search returned; of them, those in
  `registered_trials.csv` with `first_seen` equal to the run are new (NR),

the fields are

* `database_results` = H;
* `register_results` = |R|;
* `duplicates` = (H - |U|) + (|F| - |N|) + (|R| - |NR|): hits of a PMID that another keyword
  search also found, and records and registrations an earlier run already screened, found
  again;
* `excluded_automatic` = 0: livescreen's classification orders and highlights, it removes
  nothing;
* `excluded_other` = |E|: records already cited by the essay;
* `records_screened` = |N| + |NR|: records and registrations this run shows for the first
  time;

so that, for every run, **identified - duplicates - essay matches = screened**:
H + |R| - duplicates - |E| = |N| + |NR|, because U is split exactly into E, the new records
and the records found again (`prisma_counts` checks this against the tables and stops with
the PMIDs that do not fit). Across updates, every record is screened once, by the run that
first showed it: the runs' `records_screened` add up to every record the tables hold
(`livescreen_earlier_screened` + `records_screened` of the latest run). Essay matches are
removed by every run that finds them (they never reach screening, so no run "screened" them).

**Decisions** are the reviewers' title/abstract screening decisions, as the tables show them
(`to_screen.csv` and `registered_trials.csv`, read as Excel or LibreOffice may have saved
them). Of this run's new records: `exclude` -> `records_excluded` (reasons given in
`exclusion_reason` counted in `livescreen_exclusion_reasons`), `include` -> passed screening:
`dbr_sought_reports` (the reports whose full text is sought), `maybe` or blank ->
`livescreen_awaiting_decision`. A run shows its new records undecided; after screening them,
`snakemake --forcerun prisma` redraws the diagram from the tables as the reviewers left them.

**Not known to livescreen** (n empty; reviewers fill them in, in a copy of `counts.csv`, and
redraw with `python -m livescreen.prisma counts.csv flow.svg flow.png`): reports not retrieved,
reports assessed and excluded with reasons, studies and reports included (new, previous,
total) — retrieval and full-text assessment happen outside livescreen. Zeros that follow from
the decisions are filled in: a record excluded is never included, so when every record of
earlier runs is excluded (or there was no earlier run) `previous_*` = 0, and when every new
record is excluded, nothing new is sought, retrieved, assessed or included (those fields are
0); totals are previous + new whenever both are known. Websites, organisations and citation
searching are not part of livescreen's search (n empty; the diagram follows the template for
databases and registers only).

Rows named `livescreen_*` are not PRISMA2020 fields: they break the numbers down (duplicates,
decisions, earlier runs) and are drawn as indented lines in the diagram.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .decisions import decision_from_row, read_spreadsheet_csv
from .errors import LivescreenError
from .tables import LIST_SEPARATOR, atomic_path, write_csv

COUNT_COLUMNS = ["data", "node", "box", "boxtext", "n", "note"]
KEYWORD_COLUMNS = [
    "keyword",
    "database",
    "count",
    "retrieved",
    "unique_to_keyword",
    "run_date",
    "query",
]

# PRISMA2020's PRISMA.csv: data name -> (node, box, boxtext), in the template's order.
TEMPLATE: dict[str, tuple[str, str, str]] = {
    "previous_studies": ("node5", "box1", "Studies included in previous version of review"),
    "previous_reports": (
        "NA",
        "box1",
        "Reports of studies included in previous version of review",
    ),
    "database_results": ("node7", "box2", "Databases"),
    "database_specific_results": ("NA", "box2", "Specific Databases"),
    "register_results": ("NA", "box2", "Registers"),
    "register_specific_results": ("NA", "box2", "Specific Registers"),
    "website_results": ("node17", "box11", "Websites"),
    "organisation_results": ("", "box11", "Organisations"),
    "citations_results": ("NA", "box11", "Citation searching"),
    "duplicates": ("node8", "box3", "Duplicate records"),
    "excluded_automatic": ("NA", "box3", "Records marked as ineligible by automation tools"),
    "excluded_other": ("NA", "box3", "Records removed for other reasons"),
    "records_screened": ("node9", "box4", "Records screened"),
    "records_excluded": ("node10", "box5", "Records excluded"),
    "dbr_sought_reports": ("node11", "box6", "Reports sought for retrieval"),
    "dbr_notretrieved_reports": ("node12", "box7", "Reports not retrieved"),
    "other_sought_reports": ("node18", "box12", "Reports sought for retrieval"),
    "other_notretrieved_reports": ("node19", "box13", "Reports not retrieved"),
    "dbr_assessed": ("node13", "box8", "Reports assessed for eligibility"),
    "dbr_excluded": ("node14", "box9", "Reports excluded"),
    "other_assessed": ("node20", "box14", "Reports assessed for eligibility"),
    "other_excluded": ("node21", "box15", "Reports excluded"),
    "new_studies": ("node15", "box10", "New studies included in review"),
    "new_reports": ("NA", "box10", "Reports of new included studies"),
    "total_studies": ("node22", "box16", "Total studies included in review"),
    "total_reports": ("NA", "box16", "Reports of total included studies"),
}

# livescreen's own rows (not PRISMA2020 fields): the breakdowns the diagram shows indented.
DETAIL: dict[str, str] = {
    "livescreen_search_overlap": "in more than one keyword search",
    "livescreen_found_again": "already screened by an earlier run",
    "livescreen_screened_publications": "publications (PubMed)",
    "livescreen_screened_registrations": "registrations (ClinicalTrials.gov)",
    "livescreen_awaiting_decision": "awaiting a decision",
    "livescreen_exclusion_reasons": "reasons given",
    "livescreen_earlier_screened": "Records screened by earlier runs",
    "livescreen_earlier_include": "of which passed screening",
}

FILL_IN = "not recorded by livescreen: reviewers fill it in"
ESSAY = "already cited by the essay"
NO_REASON = "no reason given"


class PrismaCountError(LivescreenError, ValueError):
    """The searches and the screening tables disagree, so the counts would not add up."""


@dataclass(frozen=True)
class Tables:
    """The screening tables as the reviewers left them (rows of strings, by column)."""

    to_screen: list[dict]
    registered: list[dict]
    essay_matches: list[dict]


# -- reading ---------------------------------------------------------------------------------


def read_table(path: str | Path) -> list[dict]:
    """A livescreen CSV as a spreadsheet may have saved it; the decision columns checked."""
    path = Path(path)
    header, numbered = read_spreadsheet_csv(path)
    id_column = next((c for c in ("pmid", "nct_id") if c in header), None)
    rows = []
    for number, row in numbered:
        if id_column and "decision" in row:
            decision = decision_from_row(row, id_column, path.name, number)
            if decision is None:
                continue
            row.update(zip(("decision", "exclusion_reason"), decision.values[:2], strict=True))
        rows.append(row)
    return rows


def read_tables(manifest: Mapping) -> Tables:
    """The tables the manifest (`results/screening/tables.json`) lists."""
    by_name = {Path(path).name: Path(path) for path in manifest["tables"]}
    wanted = {
        "to_screen": "to_screen.csv",
        "registered": "registered_trials.csv",
        "essay_matches": "essay_matches.csv",
    }
    missing = [name for name in wanted.values() if name not in by_name]
    if missing:
        raise PrismaCountError(f"the manifest lists no {', '.join(missing)}")
    return Tables(**{key: read_table(by_name[name]) for key, name in wanted.items()})


# -- counts ----------------------------------------------------------------------------------


def database_name(source: str) -> str:
    return "PubMed (offline snapshot)" if source == "snapshot" else "PubMed"


def register_name(source: str) -> str:
    return "ClinicalTrials.gov (offline snapshot)" if source == "snapshot" else "ClinicalTrials.gov"


def study_id(study: Mapping) -> str:
    """The NCT id of a study as ClinicalTrials.gov API v2 returns it."""
    return study["protocolSection"]["identificationModule"]["nctId"]


def specific(counts: Mapping[str, int]) -> str:
    """The template's list format: `Name, n; Name, n` (`;` inside a name becomes `/`)."""
    return "; ".join(f"{name.replace(';', '/')}, {n}" for name, n in counts.items())


def parse_specific(value: str) -> list[tuple[str, str]]:
    """`Name, n; Name, n` -> [(name, n)]; a part without a comma is a name without n."""
    pairs = []
    for part in value.split(";"):
        if part.strip():
            name, _, n = part.rpartition(",")
            pairs.append((name.strip(), n.strip()) if name else (n.strip(), ""))
    return pairs


def prisma_counts(
    searches: Sequence[Mapping], registry: Mapping, tables: Tables, run: str
) -> list[dict]:
    """The PRISMA2020 rows (`COUNT_COLUMNS`) for the run `run`; the module docstring defines
    every number. Raises PrismaCountError when the tables do not match the searches."""
    hits = sum(len(search["pmids"]) for search in searches)
    unique = {pmid for search in searches for pmid in search["pmids"]}
    essay = {row["pmid"] for row in tables.essay_matches}
    found = [row for row in tables.to_screen if row.get("still_found", "true") != "false"]
    studies = {study_id(study) for study in registry["studies"]}
    found_regs = [row for row in tables.registered if row.get("still_found", "true") != "false"]
    _check_partition("publications", unique, essay, {row["pmid"] for row in found})
    _check_partition("registrations", studies, set(), {row["nct_id"] for row in found_regs})

    new = [row for row in tables.to_screen if row.get("first_seen") == run]
    new_regs = [row for row in tables.registered if row.get("first_seen") == run]
    earlier = [
        row for row in [*tables.to_screen, *tables.registered] if row.get("first_seen") != run
    ]
    screened = [*new, *new_regs]
    decisions = Counter(row.get("decision", "") for row in screened)
    reasons = Counter(
        row.get("exclusion_reason") or NO_REASON
        for row in screened
        if row.get("decision") == "exclude"
    )
    overlap = hits - len(unique)
    found_again = (len(found) - len(new)) + (len(found_regs) - len(new_regs))
    databases: Counter[str] = Counter()
    for search in searches:
        databases[database_name(search["source"])] += len(search["pmids"])
    register = register_name(registry["source"])
    awaiting = decisions["maybe"] + decisions[""]
    sought = decisions["include"]
    # nothing can be included from records all excluded: then the later fields are 0
    nothing_new = sought == 0 and awaiting == 0
    zero_if_nothing_new = 0 if nothing_new else None
    earlier_open = sum(row.get("decision") != "exclude" for row in earlier)
    previous = None if earlier_open else 0
    previous_note = (
        f"included by earlier runs (after full-text assessment); {FILL_IN}"
        if earlier_open
        else "0: no record from an earlier run passed screening or awaits a decision"
        if earlier
        else "0: no earlier run"
    )

    values: dict[str, tuple[int | str | None, str]] = {
        "previous_studies": (previous, previous_note),
        "previous_reports": (previous, previous_note),
        "database_results": (
            hits,
            "PMIDs retrieved by the keyword searches, summed over keywords (a PMID found by k "
            "searches counts k times); per keyword in counts_by_keyword.csv",
        ),
        "database_specific_results": (specific(databases), "database_results per database"),
        "register_results": (
            len(registry["studies"]),
            "registrations the ClinicalTrials.gov search returned",
        ),
        "register_specific_results": (
            specific({register: len(registry["studies"])}),
            "register_results per register",
        ),
        "website_results": (None, "not part of livescreen's search"),
        "organisation_results": (None, "not part of livescreen's search"),
        "citations_results": (None, "not part of livescreen's search"),
        "duplicates": (
            overlap + found_again,
            "livescreen_search_overlap + livescreen_found_again: hits of a PMID another "
            "keyword search also found, and records and registrations an earlier run already "
            "screened, found again",
        ),
        "excluded_automatic": (
            0,
            "livescreen's classification orders and highlights records; it removes none",
        ),
        "excluded_other": (
            len(essay),
            "records already cited by the essay (essay_matches.csv), removed before screening "
            "by every run that finds them",
        ),
        "records_screened": (
            len(screened),
            f"records and registrations first shown by this run ({run}): database_results + "
            "register_results - duplicates - excluded_other",
        ),
        "records_excluded": (
            decisions["exclude"],
            "decision exclude, among this run's records screened; reasons in "
            "livescreen_exclusion_reasons",
        ),
        "dbr_sought_reports": (
            sought,
            "decision include (passed title/abstract screening), among this run's records "
            "screened: their full texts are sought",
        ),
        "dbr_notretrieved_reports": (
            zero_if_nothing_new,
            "0: no report sought" if nothing_new else FILL_IN,
        ),
        "other_sought_reports": (None, "no other methods"),
        "other_notretrieved_reports": (None, "no other methods"),
        "dbr_assessed": (zero_if_nothing_new, "0: no report sought" if nothing_new else FILL_IN),
        "dbr_excluded": (
            zero_if_nothing_new,
            "0: no report sought"
            if nothing_new
            else f"{FILL_IN}, as 'Reason, n; Reason, n' (full-text exclusions)",
        ),
        "other_assessed": (None, "no other methods"),
        "other_excluded": (None, "no other methods"),
        "new_studies": (zero_if_nothing_new, "0: no report sought" if nothing_new else FILL_IN),
        "new_reports": (zero_if_nothing_new, "0: no report sought" if nothing_new else FILL_IN),
    }
    for kind in ("studies", "reports"):
        if previous is not None and zero_if_nothing_new is not None:
            values[f"total_{kind}"] = (
                previous + zero_if_nothing_new,
                f"previous_{kind} + new_{kind}",
            )
        else:
            values[f"total_{kind}"] = (None, FILL_IN)
    rows = [
        {
            "data": data,
            "node": node,
            "box": box,
            "boxtext": boxtext,
            "n": values[data][0],
            "note": values[data][1],
        }
        for data, (node, box, boxtext) in TEMPLATE.items()
    ]
    details: dict[str, tuple[int | str, str]] = {
        "livescreen_search_overlap": (
            overlap,
            "part of duplicates: keyword hits minus distinct PMIDs",
        ),
        "livescreen_found_again": (
            found_again,
            "part of duplicates: publications and registrations first shown by an earlier run "
            "that this run found again",
        ),
        "livescreen_screened_publications": (len(new), "part of records_screened"),
        "livescreen_screened_registrations": (len(new_regs), "part of records_screened"),
        "livescreen_awaiting_decision": (
            awaiting,
            "decision maybe or blank, among this run's records screened "
            "(records_screened = records_excluded + dbr_sought_reports + this)",
        ),
        "livescreen_exclusion_reasons": (
            specific(dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))),
            "exclusion_reason of records_excluded, counted ('Reason, n; Reason, n')",
        ),
        "livescreen_earlier_screened": (
            len(earlier),
            "records and registrations earlier runs screened (first_seen before this run), "
            "found again or not",
        ),
        "livescreen_earlier_include": (
            sum(row.get("decision") == "include" for row in earlier),
            "of livescreen_earlier_screened, decision include (passed screening)",
        ),
    }
    rows += [
        {"data": data, "node": "", "box": "", "boxtext": DETAIL[data], "n": n, "note": note}
        for data, (n, note) in details.items()
    ]
    return rows


def _check_partition(kind: str, searched: set[str], removed: set[str], shown: set[str]) -> None:
    """The searched ids must be exactly the removed ones and the ones the table shows."""
    problems = []
    if both := sorted(removed & shown):
        problems.append(f"both removed and shown for screening: {', '.join(both[:10])}")
    if unshown := sorted(searched - removed - shown):
        problems.append(f"found by the search but in no table: {', '.join(unshown[:10])}")
    if unsearched := sorted((removed | shown) - searched):
        problems.append(f"in the tables as found but not searched: {', '.join(unsearched[:10])}")
    if problems:
        raise PrismaCountError(
            f"{kind}: {'; '.join(problems)}. The searches and the screening tables are from "
            "different runs; run the workflow again (snakemake --forcerun screening_tables)"
        )


def keyword_counts(searches: Iterable[Mapping], registry: Mapping | None = None) -> list[dict]:
    """counts_by_keyword.csv: per keyword search (and the registry search), its Count, the
    PMIDs retrieved and how many of them no other keyword search found."""
    searches = list(searches)
    found_by = Counter(pmid for search in searches for pmid in set(search["pmids"]))
    rows = [
        {
            "keyword": search["slug"],
            "database": database_name(search["source"]),
            "count": search["count"],
            "retrieved": len(search["pmids"]),
            "unique_to_keyword": sum(found_by[pmid] == 1 for pmid in set(search["pmids"])),
            "run_date": search["run_date"],
            "query": search["query"],
        }
        for search in searches
    ]
    if registry is not None:
        rows.append(
            {
                "keyword": "registry",
                "database": register_name(registry["source"]),
                "count": registry["total"],
                "retrieved": len(registry["studies"]),
                "unique_to_keyword": len(registry["studies"]),
                "run_date": registry.get("run_date", ""),
                "query": LIST_SEPARATOR.join(f"{k}={v}" for k, v in registry["query"].items()),
            }
        )
    return rows


def write_counts(path: str | Path, rows: Iterable[Mapping]) -> None:
    write_csv(path, rows, COUNT_COLUMNS)


def read_counts(path: str | Path) -> list[dict]:
    """counts.csv as written (or as reviewers completed it in a spreadsheet)."""
    return read_table(path)


# -- the flow diagram ------------------------------------------------------------------------

FONT = "DejaVu Sans"  # matplotlib's bundled default: the same output on every machine
FONT_SIZE = 8.5  # points
LINE = FONT_SIZE * 1.32 / 72  # inches per text line
PAD = 0.09  # inches of padding inside a box
INDENT = 0.16  # inches per indent level
ROW_GAP = 0.32  # inches between rows (room for the arrows)
COLUMN_GAP = 0.38
PHASE_WIDTH = 0.34
PREVIOUS_WIDTH = 2.75
MAIN_WIDTH = 3.0
SIDE_WIDTH = 3.25
MARGIN = 0.12
GREY, YELLOW, BLUE = "#d9d9d9", "#ffd966", "#9dc3e6"
UNKNOWN = "–"
MAX_REASONS = 8
STYLE = {
    "svg.hashsalt": "livescreen-prisma",  # fixed ids: the same counts give the same file
    "svg.fonttype": "none",  # text stays text: searchable, editable in a manuscript
    "font.family": FONT,
    "font.size": FONT_SIZE,
}


@dataclass
class _Box:
    """A box's lines: (text, indent level); laid out by `_layout`."""

    lines: list[tuple[str, int]]
    fill: str = "white"
    bold: bool = False
    centred: bool = False
    x: float = 0.0
    width: float = 0.0
    wrapped: list[tuple[str, int]] = field(default_factory=list)
    top: float = 0.0
    height: float = 0.0

    @property
    def bottom(self) -> float:
        return self.top - self.height

    @property
    def middle(self) -> float:
        return self.top - self.height / 2

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


def _value(text) -> int | str | None:
    """A count as a CSV cell holds it: '' -> None (unknown), '12' or '1,234' -> int."""
    if text is None or isinstance(text, int):
        return text
    text = str(text).strip().lstrip("'")
    if not text:
        return None
    return int(text.replace(",", "")) if re.fullmatch(r"\d[\d,]*", text) else text


def _n(value) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:,}" if isinstance(value, int) else str(value)


def count_label(label: str, value) -> str:
    """`Label (n = 1,234)`, as the template writes counts; `n = –` when unknown."""
    return f"{label} (n = {_n(value)})"


def _listed(value) -> list[tuple[str, int]]:
    """Indented `Name (n = k)` lines from a `Name, k; Name, k` cell (at most MAX_REASONS)."""
    if not isinstance(value, str) or not value.strip():
        return []
    pairs = [(name, _value(n)) for name, n in parse_specific(value)]
    lines = [(count_label(name, n), 1) for name, n in pairs[:MAX_REASONS]]
    rest = pairs[MAX_REASONS:]
    if rest:
        total = sum(n for _, n in rest if isinstance(n, int))
        lines.append((count_label(f"{len(rest)} further reasons", total), 1))
    return lines


def diagram_boxes(counts: Iterable[Mapping]) -> dict[str, _Box]:
    """The diagram's boxes and their text, from counts.csv rows."""
    v = {row["data"]: _value(row.get("n")) for row in counts}
    label = {data: text for data, (_, _, text) in TEMPLATE.items()} | DETAIL

    def line(data: str, indent: int = 0, text: str | None = None) -> tuple[str, int]:
        return count_label(text or label[data], v.get(data)), indent

    reports_excluded = v.get("dbr_excluded")
    if isinstance(reports_excluded, str):  # reasons, as 'Reason, n; Reason, n'
        excluded_lines = [
            (count_label("Reports excluded", _sum(reports_excluded)), 0),
            *_listed(reports_excluded),
        ]
    else:
        excluded_lines = [line("dbr_excluded")]
    return {
        "previous_title": _Box([("Previous studies", 0)], GREY, bold=True, centred=True),
        "new_title": _Box(
            [("Identification of new studies via databases and registers", 0)],
            YELLOW,
            bold=True,
            centred=True,
        ),
        "previous": _Box(
            [
                line("previous_studies"),
                line("previous_reports"),
                ("", 0),
                line("livescreen_earlier_screened"),
                line("livescreen_earlier_include", 1),
            ]
        ),
        "identified": _Box(
            [
                ("Records identified from:", 0),
                line("database_results"),
                *_listed(v.get("database_specific_results")),
                line("register_results"),
                *_listed(v.get("register_specific_results")),
            ]
        ),
        "removed": _Box(
            [
                ("Records removed before screening:", 0),
                line("duplicates", 0, "Duplicate records removed"),
                line("livescreen_search_overlap", 1),
                line("livescreen_found_again", 1),
                line("excluded_automatic"),
                line("excluded_other"),
                line("excluded_other", 1, ESSAY),
            ]
        ),
        "screened": _Box(
            [
                line("records_screened"),
                line("livescreen_screened_publications", 1),
                line("livescreen_screened_registrations", 1),
                line("livescreen_awaiting_decision", 1),
            ]
        ),
        "excluded": _Box(
            [line("records_excluded"), *_listed(v.get("livescreen_exclusion_reasons"))]
        ),
        "sought": _Box([line("dbr_sought_reports")]),
        "not_retrieved": _Box([line("dbr_notretrieved_reports")]),
        "assessed": _Box([line("dbr_assessed")]),
        "reports_excluded": _Box(excluded_lines),
        "new": _Box([line("new_studies"), line("new_reports")]),
        "total": _Box([line("total_studies"), line("total_reports")]),
    }


def _sum(value: str) -> int | None:
    numbers = [_value(n) for _, n in parse_specific(value)]
    return sum(n for n in numbers if isinstance(n, int)) if numbers else None


def _wrap(text: str, indent: int, width: float, measure) -> list[tuple[str, int]]:
    """Greedy word wrap to `width` inches, never breaking a `(n = …)` count."""
    if not text:
        return [("", indent)]
    tokens = re.findall(r"\(n = [^)]*\)|\S+", text)
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = f"{current} {token}" if current else token
        # continuation lines hang one level deeper than the line they continue
        level = indent + (1 if lines else 0)
        if current and measure(candidate) > width - 2 * PAD - level * INDENT:
            lines.append(current)
            current = token
        else:
            current = candidate
    lines.append(current)
    return [(text, indent if i == 0 else indent + 1) for i, text in enumerate(lines)]


def _layout(boxes: dict[str, _Box], measure) -> float:
    """Place every box; return the lowest y (the diagram runs from y = 0 downwards)."""
    x_phase = MARGIN
    x_previous = x_phase + PHASE_WIDTH + 0.18
    x_main = x_previous + PREVIOUS_WIDTH + COLUMN_GAP
    x_side = x_main + MAIN_WIDTH + COLUMN_GAP
    columns = {
        "previous_title": (x_previous, PREVIOUS_WIDTH),
        "new_title": (x_main, x_side + SIDE_WIDTH - x_main),
        "previous": (x_previous, PREVIOUS_WIDTH),
        "identified": (x_main, MAIN_WIDTH),
        "removed": (x_side, SIDE_WIDTH),
        "screened": (x_main, MAIN_WIDTH),
        "excluded": (x_side, SIDE_WIDTH),
        "sought": (x_main, MAIN_WIDTH),
        "not_retrieved": (x_side, SIDE_WIDTH),
        "assessed": (x_main, MAIN_WIDTH),
        "reports_excluded": (x_side, SIDE_WIDTH),
        "new": (x_main, MAIN_WIDTH),
        "total": (x_main, MAIN_WIDTH),
    }
    for name, box in boxes.items():
        box.x, box.width = columns[name]

        def fits(text: str, bold: bool = box.bold) -> float:
            return measure(text, bold)

        box.wrapped = [
            piece for text, indent in box.lines for piece in _wrap(text, indent, box.width, fits)
        ]
        box.height = len(box.wrapped) * LINE + 2 * PAD
    rows = [
        ["previous_title", "new_title"],
        ["previous", "identified", "removed"],
        ["screened", "excluded"],
        ["sought", "not_retrieved"],
        ["assessed", "reports_excluded"],
        ["new"],
        ["total"],
    ]
    top = -MARGIN
    for number, row in enumerate(rows):
        height = max(boxes[name].height for name in row)
        for name in row:
            boxes[name].top, boxes[name].height = top, height
        top -= height + (0.16 if number == 0 else ROW_GAP)
    return top + ROW_GAP - MARGIN


def flow_diagram(counts: Iterable[Mapping], svg_path: str | Path, png_path: str | Path) -> None:
    """Draw the PRISMA 2020 flow diagram for updated reviews (databases and registers only)
    from counts.csv rows: SVG (text kept as text) and PNG (200 dpi), byte-identical for the
    same counts."""
    import matplotlib

    figure = diagram_figure(counts)
    with matplotlib.rc_context(STYLE):
        with atomic_path(svg_path) as tmp:
            figure.savefig(tmp, format="svg", metadata={"Date": None})
        with atomic_path(png_path) as tmp:
            figure.savefig(tmp, format="png", dpi=200)


def diagram_figure(counts: Iterable[Mapping]):
    """The flow diagram as a matplotlib Figure (boxes, arrows and text placed from the counts;
    each box patch has the gid `box-<name>`)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.textpath import TextToPath

    counts = list(counts)
    with matplotlib.rc_context(STYLE):
        to_path = TextToPath()

        def measure(text: str, bold: bool = False) -> float:
            """Width in inches from the font's advance widths (as an SVG viewer and the
            200 dpi PNG set the text), with a 3 % margin."""
            prop = FontProperties(family=FONT, size=FONT_SIZE, weight="bold" if bold else None)
            return to_path.get_text_width_height_descent(text, prop, ismath=False)[0] / 72 * 1.03

        boxes = diagram_boxes(counts)
        bottom = _layout(boxes, measure)
        unknown = any(UNKNOWN in text for box in boxes.values() for text, _ in box.wrapped)
        width = boxes["removed"].x + SIDE_WIDTH + MARGIN
        note_lines: list[tuple[str, int]] = []
        if unknown:
            note = (
                f"{UNKNOWN}  not recorded by livescreen: full texts are retrieved and assessed "
                "outside it. Complete counts.csv and redraw: "
                "python -m livescreen.prisma counts.csv flow.svg flow.png"
            )
            note_lines = _wrap(note, 0, width, measure)
        height = -bottom + len(note_lines) * LINE + (PAD if note_lines else 0)

        figure = Figure(figsize=(width, height))
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.set_xlim(0, width)
        axes.set_ylim(-height, 0)
        axes.axis("off")

        for name, box in boxes.items():
            rounded = box.fill != "white"
            axes.add_patch(
                FancyBboxPatch(
                    (box.x, box.bottom),
                    box.width,
                    box.height,
                    boxstyle="round,pad=0,rounding_size=0.06" if rounded else "square,pad=0",
                    facecolor=box.fill,
                    edgecolor="black",
                    linewidth=0.8,
                    gid=f"box-{name}",
                )
            )
            first = box.middle + len(box.wrapped) * LINE / 2
            for number, (text, indent) in enumerate(box.wrapped):
                y = first - (number + 0.5) * LINE
                if box.centred:
                    x, ha = box.centre, "center"
                else:
                    x, ha = box.x + PAD + indent * INDENT, "left"
                axes.text(
                    x, y, text, ha=ha, va="center_baseline", fontweight="bold" if box.bold else None
                )

        # phases: blue bars with the stage name, down the left edge
        phases = [
            ("Identification", boxes["previous"].top, boxes["previous"].bottom),
            ("Screening", boxes["screened"].top, boxes["reports_excluded"].bottom),
            ("Included", boxes["new"].top, boxes["total"].bottom),
        ]
        for text, top, low in phases:
            axes.add_patch(
                FancyBboxPatch(
                    (MARGIN, low),
                    PHASE_WIDTH,
                    top - low,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor=BLUE,
                    edgecolor="black",
                    linewidth=0.8,
                )
            )
            axes.text(
                MARGIN + PHASE_WIDTH / 2,
                (top + low) / 2,
                text,
                rotation=90,
                ha="center",
                va="center",
                fontweight="bold",
            )

        def arrow(start: tuple[float, float], end: tuple[float, float]) -> None:
            axes.annotate(
                "",
                xy=end,
                xytext=start,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "black",
                    "linewidth": 0.8,
                    "shrinkA": 0,
                    "shrinkB": 0,
                    "mutation_scale": 10,
                },
            )

        down = ["identified", "screened", "sought", "assessed", "new", "total"]
        for upper, lower in zip(down, down[1:], strict=False):
            a, b = boxes[upper], boxes[lower]
            arrow((a.centre, a.bottom), (b.centre, b.top))
        for left, right in [
            ("identified", "removed"),
            ("screened", "excluded"),
            ("sought", "not_retrieved"),
            ("assessed", "reports_excluded"),
        ]:
            a, b = boxes[left], boxes[right]  # one row: the same height
            arrow((a.x + a.width, a.middle), (b.x, b.middle))
        previous, total = boxes["previous"], boxes["total"]
        axes.plot(
            [previous.centre, previous.centre],
            [previous.bottom, total.middle],
            color="black",
            linewidth=0.8,
            solid_capstyle="butt",
        )
        arrow((previous.centre, total.middle), (total.x, total.middle))

        for number, (text, indent) in enumerate(note_lines):
            axes.text(
                MARGIN + indent * INDENT,
                bottom - (number + 0.5) * LINE,
                text,
                ha="left",
                va="center_baseline",
                fontsize=FONT_SIZE - 1,
                color="#444444",
            )

    return figure


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m livescreen.prisma counts.csv flow.svg flow.png`: redraw the diagram from a
    counts.csv the reviewers completed."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: python -m livescreen.prisma counts.csv flow.svg flow.png", file=sys.stderr)
        return 2
    flow_diagram(read_counts(args[0]), args[1], args[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
