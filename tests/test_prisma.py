"""PRISMA 2020 counts and flow diagram (livescreen.prisma).

The synthetic runs go through the same functions as scripts/tables.py (first and last seen,
records no longer found, decisions shown) and the tables are written and read back as CSV,
so the identities are checked on tables shaped exactly like the workflow's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from livescreen.decisions import Decision
from livescreen.dedup import ESSAY_MATCH_COLUMNS
from livescreen.prisma import (
    COUNT_COLUMNS,
    KEYWORD_COLUMNS,
    TEMPLATE,
    PrismaCountError,
    Tables,
    diagram_figure,
    flow_diagram,
    keyword_counts,
    main,
    prisma_counts,
    read_counts,
    read_table,
    read_tables,
    write_counts,
)
from livescreen.tables import (
    DECISION_COLUMNS,
    REGISTRATION_COLUMNS,
    SCREENING_COLUMNS,
    absent_rows,
    with_review,
    write_csv,
)
from livescreen.updates import compare, observation

RUN_1 = "2026-01-05T06:00:00Z"
RUN_2 = "2026-01-12T06:00:00Z"


def search(slug: str, pmids: list[str], source: str = "pubmed") -> dict:
    return {
        "slug": slug,
        "query": f"({slug}) AND (mdma) AND (ptsd)",
        "count": len(pmids),
        "pmids": pmids,
        "run_date": "2026-01-05",
        "source": source,
        "source_label": "PubMed via https://eutils.example/",
    }


def registry(nct_ids: list[str], source: str = "ctgov") -> dict:
    return {
        "total": len(nct_ids),
        "studies": [{"protocolSection": {"identificationModule": {"nctId": n}}} for n in nct_ids],
        "query": {"query.cond": "PTSD", "query.intr": "MDMA"},
        "source": source,
        "source_label": "ClinicalTrials.gov API v2 via https://ctgov.example/",
        "run_date": "2026-01-05",
    }


def run_tables(
    folder: Path,
    run: str,
    searches: list[dict],
    studies: dict,
    essay: set[str],
    seen_before: dict[str, dict],
    decisions: dict[str, tuple[str, str]] | None = None,
) -> tuple[dict, dict[str, dict]]:
    """One run as scripts/tables.py does it, tables written as CSV; (manifest, seen after)."""
    pmids = list(dict.fromkeys(p for s in searches for p in s["pmids"]))
    records = [{"pmid": p, "title": f"Record {p}"} for p in pmids if p not in essay]
    registrations = [
        {"nct_id": s["protocolSection"]["identificationModule"]["nctId"], "title": "Trial"}
        for s in studies["studies"]
    ]
    found = [observation(r, r["pmid"], "publication") for r in records]
    found += [observation(r, r["nct_id"], "registration") for r in registrations]
    seen, _ = compare(found, seen_before, run)
    shown = {
        record_id: Decision(record_id, decision, reason, "ann", "")
        for record_id, (decision, reason) in (decisions or {}).items()
    }

    def reviewed(rows: list[dict], id_column: str, record_type: str) -> list[dict]:
        present = {row[id_column] for row in rows}
        rows = rows + absent_rows(seen_before, present, record_type, id_column)
        return with_review(rows, id_column, shown, {}, seen, run)

    to_screen = reviewed([dict(r, highlight="false") for r in records], "pmid", "publication")
    registered = reviewed(
        [dict(r, highlight="false") for r in registrations], "nct_id", "registration"
    )
    matches = [{"pmid": p, "essay_ref": "1", "method": "pmid"} for p in pmids if p in essay]
    essay_rows = with_review(matches, "pmid", shown, {}, seen, run)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "to_screen": folder / "to_screen.csv",
        "registered": folder / "registered_trials.csv",
        "essay": folder / "essay_matches.csv",
    }
    write_csv(paths["to_screen"], to_screen, SCREENING_COLUMNS)
    write_csv(paths["registered"], registered, REGISTRATION_COLUMNS)
    write_csv(paths["essay"], essay_rows, [*ESSAY_MATCH_COLUMNS, *DECISION_COLUMNS])
    return {"run": run, "tables": [str(p) for p in paths.values()]}, seen


def counts_of(rows: list[dict]) -> dict:
    return {row["data"]: row["n"] for row in rows}


def identity_holds(n: dict) -> bool:
    identified = n["database_results"] + n["register_results"]
    return identified - n["duplicates"] - n["excluded_other"] == n["records_screened"]


# first run: 3 keyword searches overlapping, 2 essay matches, 3 registrations
FIRST = [
    search("alliance", ["1", "2", "3", "4"]),
    search("memory", ["3", "4", "5", "90"]),
    search("trials", ["4", "6", "91"]),
]
FIRST_REGISTRY = registry(["NCT01", "NCT02", "NCT03"])
ESSAY = {"90", "91"}
# update: 1, 2, 3 found again; 5 no longer found; 7, 8 new; 92 a new essay match;
# NCT02 gone, NCT04 new
UPDATE = [
    search("alliance", ["1", "2", "3", "4", "7"]),
    search("memory", ["3", "4", "90", "8"]),
    search("trials", ["4", "6", "91", "92", "7"]),
]
UPDATE_REGISTRY = registry(["NCT01", "NCT03", "NCT04"])
UPDATE_ESSAY = {"90", "91", "92"}


@pytest.fixture
def two_runs(tmp_path):
    manifest_1, seen = run_tables(tmp_path / "1", RUN_1, FIRST, FIRST_REGISTRY, ESSAY, {})
    first = prisma_counts(FIRST, FIRST_REGISTRY, read_tables(manifest_1), RUN_1)
    decided = {"1": ("include", ""), "2": ("exclude", "wrong population"), "NCT02": ("maybe", "")}
    manifest_2, _ = run_tables(
        tmp_path / "2", RUN_2, UPDATE, UPDATE_REGISTRY, UPDATE_ESSAY, seen, decided
    )
    tables_2 = read_tables(manifest_2)
    update = prisma_counts(UPDATE, UPDATE_REGISTRY, tables_2, RUN_2)
    return counts_of(first), counts_of(update), tables_2


def test_first_run_counts_add_up(two_runs):
    n, _, _ = two_runs
    assert n["database_results"] == 11  # 4 + 4 + 3 hits
    assert n["register_results"] == 3
    assert n["livescreen_search_overlap"] == 3  # 11 hits, 8 distinct PMIDs
    assert n["livescreen_found_again"] == 0
    assert n["duplicates"] == 3
    assert n["excluded_other"] == 2  # 90, 91
    assert n["records_screened"] == 9  # PMIDs 1-6 and three registrations
    assert n["livescreen_screened_publications"] == 6
    assert n["livescreen_screened_registrations"] == 3
    assert identity_holds(n)
    assert n["previous_studies"] == n["previous_reports"] == 0  # no earlier run
    assert n["livescreen_earlier_screened"] == 0
    assert n["database_specific_results"] == "PubMed, 11"
    assert n["register_specific_results"] == "ClinicalTrials.gov, 3"


def test_update_run_counts_add_up(two_runs):
    first, n, tables = two_runs
    assert n["database_results"] == 14
    assert n["livescreen_search_overlap"] == 14 - 10
    # found again: PMIDs 1, 2, 3, 4, 6 and NCT01, NCT03; 5 and NCT02 are no longer found
    assert n["livescreen_found_again"] == 7
    assert n["duplicates"] == 4 + 7
    assert n["excluded_other"] == 3
    assert n["records_screened"] == 3  # 7, 8 and NCT04
    assert identity_holds(n)
    # across updates: every record is screened once, by the run that first showed it
    assert n["livescreen_earlier_screened"] == first["records_screened"]
    total_rows = len(tables.to_screen) + len(tables.registered)
    assert first["records_screened"] + n["records_screened"] == total_rows
    identified = sum(c["database_results"] + c["register_results"] for c in (first, n))
    removed = sum(c["duplicates"] + c["excluded_other"] for c in (first, n))
    assert identified - removed == total_rows
    # earlier runs' decisions describe the previous version, not this update's screening
    assert n["livescreen_earlier_include"] == 1
    assert n["records_excluded"] == 0
    assert n["previous_studies"] is None  # included studies: the reviewers know them


def test_decisions_map_to_screening_fields(tmp_path):
    decided = {
        "1": ("exclude", "wrong population"),
        "2": ("exclude", "wrong population"),
        "3": ("exclude", ""),
        "4": ("include", ""),
        "5": ("maybe", ""),
        "NCT01": ("exclude", "not MDMA"),
        "NCT02": ("include", ""),
    }
    manifest, _ = run_tables(tmp_path, RUN_1, FIRST, FIRST_REGISTRY, ESSAY, {}, decided)
    n = counts_of(prisma_counts(FIRST, FIRST_REGISTRY, read_tables(manifest), RUN_1))
    assert n["records_excluded"] == 4
    assert n["livescreen_exclusion_reasons"] == (
        "wrong population, 2; no reason given, 1; not MDMA, 1"
    )
    assert n["dbr_sought_reports"] == 2
    assert n["livescreen_awaiting_decision"] == 3  # 5 (maybe); 6 and NCT03 (blank)
    assert n["records_screened"] == (
        n["records_excluded"] + n["dbr_sought_reports"] + n["livescreen_awaiting_decision"]
    )
    # full-text retrieval and assessment are not recorded: left to the reviewers
    for field in ("dbr_notretrieved_reports", "dbr_assessed", "dbr_excluded", "new_studies"):
        assert n[field] is None
    assert n["total_studies"] is None


def test_nothing_passed_screening_means_nothing_new_included(tmp_path):
    decided = {p: ("exclude", "off-topic") for p in ["1", "2", "3", "4", "5", "6"]}
    decided |= {n: ("exclude", "") for n in ["NCT01", "NCT02", "NCT03"]}
    manifest, _ = run_tables(tmp_path, RUN_1, FIRST, FIRST_REGISTRY, ESSAY, {}, decided)
    n = counts_of(prisma_counts(FIRST, FIRST_REGISTRY, read_tables(manifest), RUN_1))
    assert n["records_excluded"] == n["records_screened"] == 9
    assert n["dbr_sought_reports"] == n["dbr_assessed"] == n["new_studies"] == 0
    assert n["total_studies"] == n["total_reports"] == 0  # previous 0 + new 0


def test_earlier_records_all_excluded_means_nothing_included_before(tmp_path):
    excluded = {p: ("exclude", "") for p in ["1", "2", "3", "4", "5", "6"]}
    excluded |= {n: ("exclude", "") for n in ["NCT01", "NCT02", "NCT03"]}
    manifest, seen = run_tables(tmp_path / "1", RUN_1, FIRST, FIRST_REGISTRY, ESSAY, {}, excluded)
    manifest, _ = run_tables(
        tmp_path / "2", RUN_2, UPDATE, UPDATE_REGISTRY, UPDATE_ESSAY, seen, excluded
    )
    n = counts_of(prisma_counts(UPDATE, UPDATE_REGISTRY, read_tables(manifest), RUN_2))
    assert n["previous_studies"] == n["previous_reports"] == 0
    assert n["livescreen_earlier_screened"] == 9 and n["livescreen_earlier_include"] == 0
    assert n["new_studies"] is None and n["total_studies"] is None  # 7, 8, NCT04 undecided


def test_tables_from_another_run_are_refused(tmp_path):
    manifest, _ = run_tables(tmp_path, RUN_1, FIRST, FIRST_REGISTRY, ESSAY, {})
    later = [*FIRST[:2], search("trials", ["4", "6", "91", "77"])]
    with pytest.raises(PrismaCountError, match="77"):
        prisma_counts(later, FIRST_REGISTRY, read_tables(manifest), RUN_1)
    with pytest.raises(PrismaCountError, match="NCT09"):
        prisma_counts(FIRST, registry(["NCT01", "NCT02", "NCT09"]), read_tables(manifest), RUN_1)


def test_fields_are_the_prisma2020_template_names(two_runs, tmp_path):
    names = [
        "previous_studies",
        "previous_reports",
        "database_results",
        "database_specific_results",
        "register_results",
        "register_specific_results",
        "website_results",
        "organisation_results",
        "citations_results",
        "duplicates",
        "excluded_automatic",
        "excluded_other",
        "records_screened",
        "records_excluded",
        "dbr_sought_reports",
        "dbr_notretrieved_reports",
        "other_sought_reports",
        "other_notretrieved_reports",
        "dbr_assessed",
        "dbr_excluded",
        "other_assessed",
        "other_excluded",
        "new_studies",
        "new_reports",
        "total_studies",
        "total_reports",
    ]
    assert list(TEMPLATE) == names
    manifest, _ = run_tables(tmp_path, RUN_1, FIRST, FIRST_REGISTRY, ESSAY, {})
    rows = prisma_counts(FIRST, FIRST_REGISTRY, read_tables(manifest), RUN_1)
    assert [row["data"] for row in rows][: len(names)] == names
    assert all(set(row) == set(COUNT_COLUMNS) and row["note"] for row in rows)
    extra = [row["data"] for row in rows[len(names) :]]
    assert all(name.startswith("livescreen_") for name in extra)
    # no extra name contains a template name (the R package finds fields with grep)
    assert not [(e, t) for e in extra for t in TEMPLATE if t in e]


def test_keyword_counts():
    rows = keyword_counts(FIRST, FIRST_REGISTRY)
    assert list(rows[0]) == KEYWORD_COLUMNS
    by_keyword = {row["keyword"]: row for row in rows}
    assert by_keyword["alliance"]["unique_to_keyword"] == 2  # 1, 2
    assert by_keyword["memory"]["unique_to_keyword"] == 2  # 5, 90
    assert by_keyword["trials"]["unique_to_keyword"] == 2  # 6, 91
    assert by_keyword["trials"]["retrieved"] == 3
    assert by_keyword["alliance"]["database"] == "PubMed"
    assert by_keyword["registry"] == {
        "keyword": "registry",
        "database": "ClinicalTrials.gov",
        "count": 3,
        "retrieved": 3,
        "unique_to_keyword": 3,
        "run_date": "2026-01-05",
        "query": "query.cond=PTSD; query.intr=MDMA",
    }
    offline = keyword_counts([search("a", ["1"], source="snapshot")])
    assert offline[0]["database"] == "PubMed (offline snapshot)"


def svg_text(path: Path) -> str:
    """The SVG's text elements, joined (text is kept as text: svg.fonttype none)."""
    svg = path.read_text(encoding="utf-8")
    return "\n".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


FILLED = {
    "previous_studies": 2,
    "previous_reports": 3,
    "dbr_sought_reports": 12,
    "dbr_notretrieved_reports": 1,
    "dbr_assessed": 11,
    "dbr_excluded": "Wrong population, 4; Wrong outcome, 3",
    "new_studies": 1,
    "new_reports": 2,
    "total_studies": 3,
    "total_reports": 5,
    "records_excluded": 1234,
    "livescreen_exclusion_reasons": "off-topic, 1200; no reason given, 34",
}


@pytest.mark.parametrize("filled", [False, True], ids=["as-run", "completed"])
def test_diagram_shows_every_count(two_runs, tmp_path, filled):
    _, n, _ = two_runs
    if filled:
        n = n | FILLED
    rows = [{"data": data, "n": value} for data, value in n.items()]
    flow_diagram(rows, tmp_path / "flow.svg", tmp_path / "flow.png")
    text = svg_text(tmp_path / "flow.svg")
    drawn = [
        "previous_studies",
        "previous_reports",
        "database_results",
        "register_results",
        "duplicates",
        "excluded_automatic",
        "excluded_other",
        "records_screened",
        "records_excluded",
        "dbr_sought_reports",
        "dbr_notretrieved_reports",
        "dbr_assessed",
        "new_studies",
        "new_reports",
        "total_studies",
        "total_reports",
        *(
            data
            for data in n
            if data.startswith("livescreen_") and data != "livescreen_exclusion_reasons"
        ),
    ]
    for data in drawn:
        value = n[data]
        expected = "n = –" if value is None else f"n = {value:,}"
        assert expected in text, (data, expected)
    for data in ("database_specific_results", "register_specific_results"):
        for part in str(n[data]).split("; "):
            name, count = part.rsplit(", ", 1)
            assert f"{name} (n = {int(count):,})" in text
    if filled:
        assert "Reports excluded (n = 7)" in text
        assert "Wrong population (n = 4)" in text
        assert "off-topic (n = 1,200)" in text
        assert "Records excluded (n = 1,234)" in text
        assert "not recorded by livescreen" not in text  # no footnote when all are known
    else:
        assert "not recorded by livescreen" in text
    for title in ("Previous studies", "Identification", "Screening", "Included"):
        assert title in text
    assert (tmp_path / "flow.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diagram_is_deterministic(two_runs, tmp_path):
    _, n, _ = two_runs
    rows = [{"data": data, "n": value} for data, value in n.items()]
    flow_diagram(rows, tmp_path / "a.svg", tmp_path / "a.png")
    flow_diagram(rows, tmp_path / "b.svg", tmp_path / "b.png")
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_text_stays_inside_its_box(two_runs):
    _, n, _ = two_runs
    long = "A very long exclusion reason that a reviewer typed without thinking of the figure"
    n = n | FILLED | {"livescreen_exclusion_reasons": f"{long}, 3; short, 1"}
    figure = diagram_figure([{"data": data, "n": value} for data, value in n.items()])
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    boxes = [patch.get_window_extent(renderer) for patch in axes.patches]
    inside = 0
    for text in axes.texts:
        if not text.get_text():
            continue
        extent = text.get_window_extent(renderer)
        centre = ((extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2)
        box = next((b for b in boxes if b.contains(*centre)), None)
        if box is None:
            continue  # the footnote, below the boxes
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, text.get_text()
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1, text.get_text()
        inside += 1
    assert inside >= 30


def test_completed_counts_redraw_from_the_command_line(two_runs, tmp_path):
    _, n, _ = two_runs
    rows = [
        {"data": data, "node": "", "box": "", "boxtext": "", "n": value, "note": ""}
        for data, value in (n | FILLED).items()
    ]
    write_counts(tmp_path / "counts.csv", rows)
    read_back = {row["data"]: row["n"] for row in read_counts(tmp_path / "counts.csv")}
    assert read_back["records_excluded"] == "1234" and read_back["website_results"] == ""
    assert (
        main([str(tmp_path / "counts.csv"), str(tmp_path / "f.svg"), str(tmp_path / "f.png")]) == 0
    )
    assert "Total studies included in review (n = 3)" in svg_text(tmp_path / "f.svg")
    assert main([]) == 2


def test_tables_saved_by_a_spreadsheet_are_read(tmp_path):
    path = tmp_path / "to_screen.csv"
    text = (
        "pmid;decision;exclusion_reason;first_seen;still_found\r\n"
        "1;Exclude;caf\xe9 study;x;true\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    assert read_table(path) == [
        {
            "pmid": "1",
            "decision": "exclude",
            "exclusion_reason": "caf\xe9 study",
            "first_seen": "x",
            "still_found": "true",
        }
    ]
    path.write_text("pmid,decision\n1,perhaps\n", encoding="utf-8")
    with pytest.raises(ValueError, match="perhaps"):
        read_table(path)


def test_prisma_counts_accepts_tables_in_memory():
    tables = Tables(
        to_screen=[{"pmid": "1", "decision": "", "first_seen": RUN_1, "still_found": "true"}],
        registered=[],
        essay_matches=[],
    )
    n = counts_of(prisma_counts([search("a", ["1"])], registry([]), tables, RUN_1))
    assert identity_holds(n) and n["records_screened"] == 1
