"""PRISMA 2020 counts and flow diagrams (livescreen.export.prisma and .prisma_diagram).

The inputs are shaped as the workflow writes them: search results and the registry search as
JSON, and `results/screening/screening.json` — the rows of the screening tables, every
column as text, with the decision store's current decisions. Two updates of a small review
are built by hand below; one test builds the rows' decisions from a real decision store.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from livescreen.export.prisma import (
    COUNT_COLUMNS,
    KEYWORD_COLUMNS,
    TEMPLATE,
    PrismaCountError,
    Screening,
    _citation_only,
    check_identity,
    keyword_counts,
    read_counts,
    read_screening,
    review_counts,
    update_counts,
    write_counts,
)
from livescreen.export.prisma_diagram import (
    OUTPUTS,
    diagram_figure,
    flow_diagram,
    main,
    write_prisma,
)
from livescreen.files import write_json
from livescreen.review.decisions import (
    Decision,
    append_to_store,
    conflict_notes,
    current_decisions,
    displayed_decisions,
    open_conflicts,
    read_store,
)

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


def row(
    id_column: str,
    record_id: str,
    run: str,
    first_seen: str,
    decision: str = "",
    reason: str = "",
    still_found: bool = True,
    conflict: str = "",
) -> dict:
    """A row of to_screen.csv or registered_trials.csv as screening.json carries it."""
    return {
        id_column: record_id,
        "decision": decision,
        "exclusion_reason": reason,
        "reviewer": "ann" if decision else "",
        "notes": "",
        "new_this_run": "true" if first_seen == run else "false",
        "title": f"Record {record_id}",
        "first_seen": first_seen,
        "still_found": "true" if still_found else "false",
        "conflict": conflict,
        "mechanisms": "alliance; memory",
        "highlight": "false",
    }


def screening_json(
    run: str,
    publications: dict[str, str],
    registrations: dict[str, str],
    essay: set[str],
    found: set[str],
    decisions: dict[str, tuple[str, str]] | None = None,
    conflicts: dict[str, str] | None = None,
) -> dict:
    """screening.json of run `run`: records (id -> first_seen), those the run found (the
    others are kept, still_found false), decisions (id -> (decision, reason))."""
    decisions, conflicts = decisions or {}, conflicts or {}

    def rows(id_column: str, first_seen: dict[str, str]) -> list[dict]:
        return [
            row(
                id_column,
                record_id,
                run,
                first,
                *decisions.get(record_id, ("", "")),
                still_found=record_id in found,
                conflict=conflicts.get(record_id, ""),
            )
            for record_id, first in first_seen.items()
        ]

    return {
        "run": run,
        "run_folder": f"results/runs/{run.replace(':', '')}",
        "publications": rows("pmid", publications),
        "registrations": rows("nct_id", registrations),
        "essay_matches": [
            {"pmid": p, "essay_ref": "1", "method": "pmid", "score": "", "first_seen": run}
            for p in sorted(essay)
        ],
    }


def counts_of(rows: list[dict]) -> dict:
    return {row["data"]: row["n"] for row in rows}


def identity_holds(n: dict) -> bool:
    identified = n["database_results"] + n["register_results"]
    screened = identified - n["duplicates"] - n["excluded_other"]
    decided = (
        n["records_excluded"] + n["livescreen_passed_screening"] + n["livescreen_awaiting_decision"]
    )
    return screened == n["records_screened"] == decided


# first run: 3 keyword searches overlapping, 2 essay matches, 3 registrations
FIRST = [
    search("alliance", ["1", "2", "3", "4"]),
    search("memory", ["3", "4", "5", "90"]),
    search("trials", ["4", "6", "91"]),
]
FIRST_REGISTRY = registry(["NCT01", "NCT02", "NCT03"])
ESSAY = {"90", "91"}
FIRST_PUBLICATIONS = dict.fromkeys(["1", "2", "3", "4", "5", "6"], RUN_1)
FIRST_REGISTRATIONS = dict.fromkeys(["NCT01", "NCT02", "NCT03"], RUN_1)
FIRST_FOUND = {*FIRST_PUBLICATIONS, *FIRST_REGISTRATIONS}
# second update: 1, 2, 3, 4, 6 found again; 5 no longer found; 7, 8 new; 92 a new essay
# match; NCT02 no longer found, NCT04 new
UPDATE = [
    search("alliance", ["1", "2", "3", "4", "7"]),
    search("memory", ["3", "4", "90", "8"]),
    search("trials", ["4", "6", "91", "92", "7"]),
]
UPDATE_REGISTRY = registry(["NCT01", "NCT03", "NCT04"])
UPDATE_ESSAY = {"90", "91", "92"}
UPDATE_PUBLICATIONS = FIRST_PUBLICATIONS | dict.fromkeys(["7", "8"], RUN_2)
UPDATE_REGISTRATIONS = FIRST_REGISTRATIONS | {"NCT04": RUN_2}
UPDATE_FOUND = {"1", "2", "3", "4", "6", "7", "8", "NCT01", "NCT03", "NCT04"}
# what the reviewers decided between the two runs (the store's decisions in run 2's rows)
DECIDED_AFTER_RUN_1 = {
    "1": ("include", ""),
    "2": ("exclude", "wrong population"),
    "3": ("exclude", " Wrong  Population"),  # the same reason, typed differently
    "4": ("exclude", ""),
    "5": ("exclude", "off-topic"),
    "6": ("maybe", ""),
    "NCT01": ("include", ""),
    "NCT02": ("exclude", "not MDMA"),
}


def first_run(decisions=None, conflicts=None) -> Screening:
    data = screening_json(
        RUN_1, FIRST_PUBLICATIONS, FIRST_REGISTRATIONS, ESSAY, FIRST_FOUND, decisions, conflicts
    )
    return Screening.from_json(data)


def second_run(decisions=DECIDED_AFTER_RUN_1, conflicts=None) -> Screening:
    data = screening_json(
        RUN_2,
        UPDATE_PUBLICATIONS,
        UPDATE_REGISTRATIONS,
        UPDATE_ESSAY,
        UPDATE_FOUND,
        decisions,
        conflicts,
    )
    return Screening.from_json(data)


def both(searches, studies, screening) -> tuple[dict, dict]:
    """(this update, the review so far) as data -> n."""
    return (
        counts_of(update_counts(searches, studies, screening)),
        counts_of(review_counts(searches, studies, screening)),
    )


AFTER = ["dbr_sought_reports", "dbr_notretrieved_reports", "dbr_assessed", "dbr_excluded"]
AFTER += ["new_studies", "new_reports", "total_studies", "total_reports"]


def test_first_run_without_decisions_counts_unique_records_and_seeks_nothing_yet():
    update, review = both(FIRST, FIRST_REGISTRY, first_run())
    for n in (update, review):
        assert n["database_results"] == 8  # distinct PMIDs: 1-6, 90, 91
        assert n["database_specific_results"] == "PubMed, 8"
        assert n["register_results"] == 3
        assert n["register_specific_results"] == "ClinicalTrials.gov, 3"
        assert n["duplicates"] == 0  # nothing shown before; a PMID in 3 searches counts once
        assert n["excluded_other"] == 2  # 90, 91
        assert n["records_screened"] == 9  # PMIDs 1-6 and three registrations
        assert n["livescreen_screened_publications"] == 6
        assert n["livescreen_screened_registrations"] == 3
        assert n["records_excluded"] == n["livescreen_passed_screening"] == 0
        assert n["livescreen_awaiting_decision"] == 9
        assert identity_holds(n)
        # awaiting decisions: reports sought, and all after it, are not known yet (not 0)
        assert all(n[field] is None for field in AFTER)
        assert n["previous_studies"] == n["previous_reports"] == 0  # no earlier run
    assert update["livescreen_keyword_hits"] == 11  # 4 + 4 + 3 hits, as a detail
    assert update["livescreen_found_again"] == 0
    assert update["livescreen_view"] == "update" and review["livescreen_view"] == "review so far"
    assert review["livescreen_first_run"] == update["livescreen_run"] == RUN_1


def test_decisions_give_exclusions_with_reasons_and_reports_sought():
    decided = {
        "1": ("exclude", "wrong population"),
        "2": ("exclude", "Wrong population "),
        "3": ("exclude", ""),
        "4": ("include", ""),
        "5": ("exclude", "off-topic"),
        "6": ("exclude", "off-topic"),
        "NCT01": ("exclude", "not MDMA"),
        "NCT02": ("include", ""),
        "NCT03": ("exclude", "  "),
    }
    update, review = both(FIRST, FIRST_REGISTRY, first_run(decided))
    for n in (update, review):
        assert n["records_excluded"] == 7
        # case and spacing ignored; a blank reason is 'no reason given'
        assert n["livescreen_exclusion_reasons"] == (
            "no reason given, 2; off-topic, 2; wrong population, 2; not MDMA, 1"
        )
        assert n["livescreen_passed_screening"] == n["dbr_sought_reports"] == 2
        assert n["livescreen_awaiting_decision"] == 0
        assert identity_holds(n)
        # full-text retrieval and assessment are not recorded: left to the reviewers
        for field in AFTER[1:]:
            assert n[field] is None, field


def test_nothing_passed_screening_means_nothing_sought_or_included():
    decided = {p: ("exclude", "off-topic") for p in [*FIRST_PUBLICATIONS, *FIRST_REGISTRATIONS]}
    update, review = both(FIRST, FIRST_REGISTRY, first_run(decided))
    for n in (update, review):
        assert n["records_excluded"] == n["records_screened"] == 9
        assert n["dbr_sought_reports"] == n["dbr_assessed"] == n["new_studies"] == 0
        assert n["total_studies"] == n["total_reports"] == 0  # previous 0 + new 0


def test_a_second_update_counts_only_its_new_records_and_keeps_earlier_decisions():
    first, first_review = both(FIRST, FIRST_REGISTRY, first_run())
    update, review = both(UPDATE, UPDATE_REGISTRY, second_run())

    # this update: the searches' distinct records, of which only 7, 8 and NCT04 are new
    assert update["database_results"] == 10  # 1, 2, 3, 4, 6, 7, 8, 90, 91, 92
    assert update["livescreen_keyword_hits"] == 14
    assert update["register_results"] == 3
    # found again: PMIDs 1, 2, 3, 4, 6 and NCT01, NCT03 (5 and NCT02 are no longer found)
    assert update["duplicates"] == update["livescreen_found_again"] == 7
    assert update["excluded_other"] == 3
    assert update["records_screened"] == 3
    assert update["livescreen_screened_publications"] == 2
    assert update["records_excluded"] == 0 and update["livescreen_exclusion_reasons"] == ""
    assert update["livescreen_awaiting_decision"] == 3
    assert update["dbr_sought_reports"] is None
    assert identity_holds(update)
    # the previous version: what earlier runs showed, with the decisions taken since
    assert update["livescreen_earlier_screened"] == first["records_screened"] == 9
    assert update["livescreen_earlier_include"] == 2  # 1, NCT01
    assert update["livescreen_earlier_exclude"] == 5  # 2, 3, 4, 5, NCT02
    assert update["livescreen_earlier_awaiting"] == 2  # 6 (maybe), NCT03 (blank)
    assert update["previous_studies"] is None  # included studies: the reviewers know them

    # the review so far: every record shown once, with the decisions kept
    assert review["records_screened"] == first["records_screened"] + update["records_screened"]
    assert review["records_screened"] == len(UPDATE_PUBLICATIONS) + len(UPDATE_REGISTRATIONS)
    assert review["database_results"] == 8 + 3  # 1-8 shown, and 90, 91, 92 never shown
    assert review["livescreen_not_found_publications"] == 1  # 5
    assert review["livescreen_not_found_registrations"] == 1  # NCT02
    assert review["register_results"] == 4
    assert review["duplicates"] == 0 and review["excluded_other"] == 3
    assert review["livescreen_first_shown_earlier"] == 9
    assert review["livescreen_first_shown_now"] == 3
    assert review["records_excluded"] == 5
    assert review["livescreen_exclusion_reasons"] == (
        "wrong population, 2; no reason given, 1; not MDMA, 1; off-topic, 1"
    )
    assert review["livescreen_passed_screening"] == 2
    assert review["livescreen_awaiting_decision"] == 2 + 3  # 6, NCT03 and the new ones
    assert review["dbr_sought_reports"] is None
    assert review["previous_studies"] == 0  # the review so far has no previous version
    assert review["livescreen_first_run"] == RUN_1 and review["livescreen_run"] == RUN_2
    assert identity_holds(review) and identity_holds(first_review)


def test_all_earlier_records_excluded_means_nothing_included_before():
    excluded = {r: ("exclude", "") for r in [*FIRST_PUBLICATIONS, *FIRST_REGISTRATIONS]}
    update, _ = both(UPDATE, UPDATE_REGISTRY, second_run(excluded))
    assert update["previous_studies"] == update["previous_reports"] == 0
    assert update["new_studies"] is None and update["total_studies"] is None  # 7, 8, NCT04
    decided = excluded | {r: ("exclude", "") for r in ["7", "8", "NCT04"]}
    update, review = both(UPDATE, UPDATE_REGISTRY, second_run(decided))
    assert update["total_studies"] == review["total_studies"] == 0


def test_a_decision_conflict_awaits_a_decision(tmp_path):
    note = "include (to_screen.csv) vs exclude (screening.xlsx): enter the decision again"
    # the store shows a conflicting record blank; a row showing a decision with an open
    # conflict is still not decided
    decided = {"1": ("include", ""), "2": ("exclude", "x"), "3": ("include", "")}
    decided |= {r: ("exclude", "x") for r in ["4", "5", "6", "NCT01", "NCT02", "NCT03"]}
    decided.pop("2")
    conflicts = {"2": note, "3": note}
    update, review = both(FIRST, FIRST_REGISTRY, first_run(decided, conflicts))
    for n in (update, review):
        assert n["livescreen_awaiting_decision"] == 2
        assert n["livescreen_conflicts"] == 2
        assert n["livescreen_passed_screening"] == 1
        assert n["records_excluded"] == 6
        assert n["dbr_sought_reports"] is None  # screening is not finished
        assert identity_holds(n)
        flow_diagram(as_rows(n), tmp_path / "flow.svg", tmp_path / "flow.png")
        text = svg_text(tmp_path / "flow.svg")
        assert "awaiting a decision (n = 2)" in text
        assert "of which in a decision conflict (n = 2)" in text
        assert "not known yet: 2 records await a screening decision" in text


def test_prisma_after_two_updates_equals_the_decision_store(tmp_path):
    """Decisions recorded in a real store over two updates (a change of mind, a conflict,
    a decision on a record of the second update); the rows show them as screening_tables
    does. The review's counts are the store's current decisions over the records shown."""
    store = tmp_path / "decisions" / "decisions.csv"

    def decision(record_id, value, reason="", source="to_screen.csv"):
        return Decision(
            record_id,
            decision=value,
            exclusion_reason=reason,
            reviewer="ann",
            notes="",
            source_file=source,
            row=2,
        )

    after_run_1 = [decision(r, v, why) for r, (v, why) in DECIDED_AFTER_RUN_1.items()]
    append_to_store(store, after_run_1, [], dt.datetime(2026, 1, 8, tzinfo=dt.UTC))
    after_run_2 = [
        decision("4", "include"),  # changed mind: was exclude
        decision("7", "exclude", "Animal study"),
        decision("NCT04", "include"),
    ]
    conflicting = [
        decision("6", "include", source="to_screen.csv"),
        decision("6", "exclude", "off-topic", source="screening.xlsx [To screen]"),
    ]
    append_to_store(store, after_run_2, conflicting, dt.datetime(2026, 1, 14, tzinfo=dt.UTC))
    history = read_store(store)
    shown, notes = displayed_decisions(history), conflict_notes(history)

    def rows_decisions(ids):
        return {r: (shown[r].decision, shown[r].exclusion_reason) for r in ids if r in shown}, {
            r: notes[r] for r in ids if r in notes
        }

    ids_2 = [*UPDATE_PUBLICATIONS, *UPDATE_REGISTRATIONS]
    screening = second_run(*rows_decisions(ids_2))
    update, review = both(UPDATE, UPDATE_REGISTRY, screening)

    current, conflicted = current_decisions(history), open_conflicts(history)

    def from_store(ids):
        states = Counter(
            "awaiting"
            if r in conflicted or r not in current
            else current[r].decision
            if current[r].decision in ("include", "exclude")
            else "awaiting"
            for r in ids
        )
        return states["exclude"], states["include"], states["awaiting"]

    def from_prisma(n):
        return (
            n["records_excluded"],
            n["livescreen_passed_screening"],
            n["livescreen_awaiting_decision"],
        )

    assert from_prisma(review) == from_store(ids_2) == (5, 4, 3)
    assert review["records_screened"] == len(ids_2)
    new_2 = [r for r in ids_2 if r in ("7", "8", "NCT04")]
    assert from_prisma(update) == from_store(new_2) == (1, 1, 1)
    earlier = [r for r in ids_2 if r not in new_2]
    assert (
        update["livescreen_earlier_exclude"],
        update["livescreen_earlier_include"],
        update["livescreen_earlier_awaiting"],
    ) == from_store(earlier)
    assert review["livescreen_conflicts"] == len(conflicted) == 1
    reasons = Counter(
        " ".join(current[r].exclusion_reason.split()).casefold() or "no reason given"
        for r in ids_2
        if r in current and r not in conflicted and current[r].decision == "exclude"
    )
    counted = dict(
        (name.casefold(), int(k))
        for name, k in (
            p.rsplit(", ", 1) for p in review["livescreen_exclusion_reasons"].split("; ")
        )
    )
    assert counted == dict(reasons)
    assert identity_holds(update) and identity_holds(review)


def test_screening_from_another_run_is_refused():
    screening = first_run()
    later = [*FIRST[:2], search("trials", ["4", "6", "91", "77"])]
    for counts in (update_counts, review_counts):
        with pytest.raises(PrismaCountError, match="77"):
            counts(later, FIRST_REGISTRY, screening)
        with pytest.raises(PrismaCountError, match="NCT09"):
            counts(FIRST, registry(["NCT01", "NCT02", "NCT09"]), screening)


def test_screening_json_is_checked():
    data = screening_json(RUN_1, FIRST_PUBLICATIONS, FIRST_REGISTRATIONS, ESSAY, FIRST_FOUND)
    with pytest.raises(PrismaCountError, match="essay_matches"):
        Screening.from_json({k: v for k, v in data.items() if k != "essay_matches"})
    twice = dict(data, publications=[*data["publications"], data["publications"][0]])
    with pytest.raises(PrismaCountError, match="more than once"):
        Screening.from_json(twice)
    data["publications"][0]["decision"] = "perhaps"
    with pytest.raises(PrismaCountError, match="perhaps"):
        update_counts(FIRST, FIRST_REGISTRY, Screening.from_json(data))


def test_fields_are_the_prisma2020_template_names():
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
    for counts in (update_counts, review_counts):
        rows = counts(FIRST, FIRST_REGISTRY, first_run())
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


def test_the_rule_writes_both_and_archives_them_in_the_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # run_folder is relative, as the workflow writes it
    write_json(
        "results/screening/screening.json",
        screening_json(
            RUN_2,
            UPDATE_PUBLICATIONS,
            UPDATE_REGISTRATIONS,
            UPDATE_ESSAY,
            UPDATE_FOUND,
            DECIDED_AFTER_RUN_1,
        ),
    )
    screening = read_screening("results/screening/screening.json")
    names = {
        "counts": "counts.csv",
        "by_keyword": "counts_by_keyword.csv",
        "svg": "flow.svg",
        "png": "flow.png",
        "update_counts": "update_counts.csv",
        "update_svg": "update_flow.svg",
        "update_png": "update_flow.png",
    }
    assert set(names) == set(OUTPUTS)
    outputs = {key: Path("results/prisma") / name for key, name in names.items()}
    review, update, folder = write_prisma(UPDATE, UPDATE_REGISTRY, screening, outputs)
    assert folder == Path("results/runs/2026-01-12T060000Z/prisma")
    for path in outputs.values():
        assert (folder / path.name).read_bytes() == path.read_bytes()
    assert counts_of(review)["livescreen_view"] == "review so far"
    written = {r["data"]: r["n"] for r in read_counts(outputs["counts"])}
    assert written["records_screened"] == "12" and written["dbr_sought_reports"] == ""
    assert {r["data"]: r["n"] for r in read_counts(outputs["update_counts"])} == {
        data: "" if n is None else str(n) for data, n in counts_of(update).items()
    }
    assert 'id="box-previous"' in outputs["update_svg"].read_text()  # updated-review template
    assert 'id="box-previous"' not in outputs["svg"].read_text()  # one review, no previous
    assert "(n = 12)" in svg_text(outputs["svg"])


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
    "livescreen_awaiting_decision": 0,
}

DRAWN = [
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
]
NOT_DRAWN = {"livescreen_exclusion_reasons", "livescreen_view", "livescreen_run"}
NOT_DRAWN |= {"livescreen_first_run", "livescreen_passed_screening"}


def as_rows(n: dict) -> list[dict]:
    return [{"data": data, "n": value} for data, value in n.items()]


@pytest.mark.parametrize("view", ["update", "review"])
@pytest.mark.parametrize("filled", [False, True], ids=["as-run", "completed"])
def test_diagram_shows_every_count(tmp_path, filled, view):
    update, review = both(UPDATE, UPDATE_REGISTRY, second_run())
    n = update if view == "update" else review
    if filled:
        n = n | FILLED
    flow_diagram(as_rows(n), tmp_path / "flow.svg", tmp_path / "flow.png")
    text = svg_text(tmp_path / "flow.svg")
    drawn = DRAWN + [data for data in n if data.startswith("livescreen_")]
    if view == "update":
        drawn += ["previous_studies", "previous_reports", "total_studies", "total_reports"]
    for data in drawn:
        if data in NOT_DRAWN or data == "livescreen_conflicts" and not n[data]:
            continue  # not drawn (a conflict line only when there are conflicts)
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
        assert "passed screening so far" not in text  # reports sought are known
        assert "not known yet" not in text and "not recorded by livescreen" not in text
    else:
        assert "Reports sought for retrieval (n = –)" in text
        assert f"passed screening so far (n = {n['livescreen_passed_screening']})" in text
        assert f"not known yet: {n['livescreen_awaiting_decision']} records await" in text
    if view == "update":
        titles = ["Previous studies", "Identification of new studies", "Total studies"]
        assert f"Update {RUN_2}" in text
    else:
        titles = ["Identification of studies", "Studies included in review (n ="]
        assert f"runs {RUN_1} to {RUN_2}" in text
        assert "Previous studies" not in text and "Total studies" not in text
    for title in [*titles, "Identification", "Screening", "Included"]:
        assert title in text, title
    assert (tmp_path / "flow.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diagram_is_deterministic(tmp_path):
    rows = update_counts(UPDATE, UPDATE_REGISTRY, second_run())
    flow_diagram(rows, tmp_path / "a.svg", tmp_path / "a.png")
    flow_diagram(rows, tmp_path / "b.svg", tmp_path / "b.png")
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize("counts", [update_counts, review_counts])
def test_text_stays_inside_its_box_and_boxes_do_not_overlap(counts):
    n = counts_of(counts(UPDATE, UPDATE_REGISTRY, second_run()))
    long = "A very long exclusion reason that a reviewer typed without thinking of the figure"
    n = n | FILLED | {"livescreen_exclusion_reasons": f"{long}, 3; short, 1"}
    figure = diagram_figure(as_rows(n))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    boxes = [patch.get_window_extent(renderer) for patch in axes.patches]
    inside = 0
    texts = [t for t in axes.texts if t.get_text()]
    for text in texts:
        extent = text.get_window_extent(renderer)
        assert 0 <= extent.x0 and extent.x1 <= figure.bbox.x1, text.get_text()
        assert 0 <= extent.y0 and extent.y1 <= figure.bbox.y1, text.get_text()
        centre = ((extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2)
        box = next((b for b in boxes if b.contains(*centre)), None)
        if box is None:
            continue  # the heading and the footnote, outside the boxes
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, text.get_text()
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1, text.get_text()
        inside += 1
    assert inside >= 25
    for i, a in enumerate(boxes):  # boxes (and phase bars) never overlap
        for b in boxes[i + 1 :]:
            overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_x <= 1 or overlap_y <= 1, (a, b)
    extents = [t.get_window_extent(renderer) for t in texts]
    for i, a in enumerate(extents):  # no two lines of text overlap
        for b in extents[i + 1 :]:
            overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_x <= 0 or overlap_y <= 1, (texts[i].get_text(), a, b)


def test_completed_counts_redraw_from_the_command_line(tmp_path):
    rows = update_counts(UPDATE, UPDATE_REGISTRY, second_run())
    rows = [dict(row, n=FILLED.get(row["data"], row["n"])) for row in rows]
    write_counts(tmp_path / "counts.csv", rows)
    read_back = {row["data"]: row["n"] for row in read_counts(tmp_path / "counts.csv")}
    assert read_back["records_excluded"] == "1234" and read_back["website_results"] == ""
    assert (
        main([str(tmp_path / "counts.csv"), str(tmp_path / "f.svg"), str(tmp_path / "f.png")]) == 0
    )
    text = svg_text(tmp_path / "f.svg")
    assert "Total studies included in review (n = 3)" in text
    assert f"Update {RUN_2}" in text
    assert main([]) == 2


def test_counts_saved_by_a_spreadsheet_are_read(tmp_path):
    path = tmp_path / "counts.csv"
    text = "data;n;note\r\ndbr_excluded;Caf\xe9 study, 2;x\r\nrecords_screened;'1,234;\r\n"
    path.write_bytes(text.encode("cp1252"))
    assert read_counts(path) == [
        {"data": "dbr_excluded", "n": "Caf\xe9 study, 2", "note": "x"},
        {"data": "records_screened", "n": "1,234", "note": ""},
    ]


def with_citations(data: dict, chased: dict[str, tuple[str, bool]]) -> dict:
    """screening.json with works only citation chasing found (id -> (first_seen, found)),
    shown with the rest, and the chase recorded as another method."""
    for record_id, (first, found) in chased.items():
        chased_row = row("pmid", record_id, data["run"], first, still_found=found)
        chased_row.update(mechanisms="", found_by=f"citation:forward of PMID {record_id}0")
        data["publications"].append(chased_row)
    data["other_methods"] = [{"name": "Citation searching", "records": len(chased)}]
    return data


def test_citation_searching_is_counted_apart_and_the_counts_still_add_up():
    first = with_citations(
        screening_json(RUN_1, FIRST_PUBLICATIONS, FIRST_REGISTRATIONS, ESSAY, FIRST_FOUND),
        {"50": (RUN_1, True), "51": (RUN_1, True)},
    )
    update, review = both(FIRST, FIRST_REGISTRY, Screening.from_json(first))
    for n in (update, review):
        assert n["citations_results"] == 2
        assert n["database_results"] == 8  # the PMIDs the keyword searches found, no more
        check_identity(as_rows(n))
    assert update["records_screened"] == 6 + 3 + 2

    second = with_citations(
        screening_json(
            RUN_2, UPDATE_PUBLICATIONS, UPDATE_REGISTRATIONS, UPDATE_ESSAY, UPDATE_FOUND
        ),
        {"50": (RUN_1, True), "51": (RUN_1, False), "52": (RUN_2, True)},
    )
    update, review = both(UPDATE, UPDATE_REGISTRY, Screening.from_json(second))
    assert update["citations_results"] == 2  # 50 found again, 52 new; 51 not found now
    assert review["citations_results"] == 3
    for n in (update, review):
        check_identity(as_rows(n))
    # a work a database found too is a database record, whatever else found it
    assert not _citation_only({"found_by": "PubMed: memory; citation:forward of PMID 1"})
    assert _citation_only({"found_by": "citation:backward of PMID 2"})


def test_without_citation_chasing_the_template_says_not_searched():
    update, review = both(FIRST, FIRST_REGISTRY, first_run())
    assert update["citations_results"] is None and review["citations_results"] is None
