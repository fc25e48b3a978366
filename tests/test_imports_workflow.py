"""Database exports in the workflow (config `imports:`): read, deduplicated across sources,
classified and screened in one table with `found_by`; decisions follow merges.

The unit tests run the merge (livescreen.dedup.works) and the carrying of decisions
(livescreen.review.merges) on constructed records; the workflow tests run `snakemake` on the
bundled snapshot in a copy of the project, with the small constructed exports in
tests/data/imports/ (a PsycINFO RIS export and an Embase-style MEDLINE export) and, when
../shared is present, real exports.
"""

import csv
import datetime as dt
import shutil

import pytest
import yaml

from livescreen.config import validate_config
from livescreen.dedup.works import cross_source
from livescreen.errors import ConfigError
from livescreen.files import read_json
from livescreen.review.decisions import (
    Decision,
    append_entries,
    append_to_store,
    conflict_notes,
    current_decisions,
    displayed_decisions,
    read_store,
)
from livescreen.review.merges import MERGED_FROM, merge_entries
from livescreen.sources.imports import configured_files, import_ids
from tests.conftest import ROOT, SHARED
from tests.test_workflow import copy_project, csv_rows, snakemake

DATA = ROOT / "tests" / "data" / "imports"
# the bundled snapshot, without Europe PMC and citation chasing (their records would add
# copies to every count below)
SNAPSHOT = ("--configfile", ".test/config/snapshot.yaml", ".test/config/pubmed-only.yaml")
PSYCINFO = "PsycINFO (EBSCOhost)"
EMBASE = "Embase (Ovid)"
SINGLETON = "Altered brain activity and functional connectivity after MDMA-assisted therapy"


# -- the merge ----------------------------------------------------------------------------------


def pubmed(pmid, title, doi=None, year=2023, authors=("Singleton SP", "Wang JB")):
    return {
        "pmid": pmid,
        "title": title,
        "doi": doi,
        "year": year,
        "pub_date": str(year),
        "authors": list(authors),
        "journal": "Front Psychiatry",
        "highlight": False,
    }


def exported(source, title, n, **fields):
    record = {
        "record_id": f"{source}/imports/x.ris#{n}",
        "source": source,
        "file": "imports/x.ris",
        "line": n * 10,
        "title": title,
        "authors": fields.pop("authors", []),
        "year": fields.pop("year", 2023),
        **fields,
    }
    record["import_ids"] = import_ids(record)
    return record


TITLE = "Altered brain activity and functional connectivity after MDMA-assisted therapy for PTSD"
OTHER = "MDMA-assisted therapy for severe PTSD: a randomized phase 3 study"


def test_without_other_sources_every_pubmed_record_is_its_own_work():
    merged = cross_source([pubmed("1", TITLE), pubmed("2", TITLE)], {"1": ["fear"]})
    assert [w.record_id for w in merged.works] == ["1", "2"]
    assert merged.works[0].found_by == ["PubMed: fear"]
    assert merged.duplicates == 0 and merged.possible == []


def test_copies_merge_into_the_pubmed_record_and_keep_every_id():
    records = [pubmed("36713926", TITLE, doi="10.3389/fpsyt.2022.947622")]
    others = [
        exported(PSYCINFO, TITLE + ".", 1, doi="10.3389/FPSYT.2022.947622"),
        exported(EMBASE, OTHER, 2, doi="10.1038/s41591-021-01336-3", authors=["Mitchell JM"]),
        exported(PSYCINFO, OTHER, 3, authors=["Mitchell JM"], year=2021, pmid="33972795"),
    ]
    merged = cross_source(records, {"36713926": ["fear_extinction"]}, others)
    by_id = {w.record_id: w for w in merged.works}
    work = by_id["36713926"]
    assert work.record["title"] == TITLE  # PubMed's metadata
    assert work.found_by == ["PubMed: fear_extinction", PSYCINFO]
    assert "doi:10.3389/fpsyt.2022.947622" in work.member_ids
    assert others[0]["import_ids"][-1] in work.member_ids
    assert work.copies == ["imports/x.ris:10"]
    assert merged.records == 4 and merged.by_source == {"PubMed": 1, PSYCINFO: 2, EMBASE: 1}


def test_a_copy_that_says_how_it_was_found_keeps_that_in_found_by():
    # Europe PMC's keywords and the citation chased reach the work, not just the source name
    europepmc = exported("Europe PMC", TITLE, 4, pmid="36713926")
    europepmc["found_by"] = ["Europe PMC: fear_extinction"]
    chased = exported("citation chasing", OTHER, 5, pmid="33972795", authors=["Mitchell JM"])
    chased["found_by"] = ["citation:forward of PMID 36713926"]
    merged = cross_source([pubmed("36713926", TITLE)], {"36713926": ["fear_extinction"]},
                          [europepmc, chased])  # fmt: skip
    by_id = {w.record_id: w for w in merged.works}
    assert by_id["36713926"].found_by == ["PubMed: fear_extinction", "Europe PMC: fear_extinction"]
    assert by_id["33972795"].found_by == ["citation:forward of PMID 36713926"]


def test_an_import_only_work_has_a_stable_id_across_exports():
    first = exported(PSYCINFO, OTHER, 7, authors=["Mitchell JM"], journal="Nature Medicine")
    again = {**first, "record_id": f"{PSYCINFO}/imports/new.ris#1", "line": 1}
    again["import_ids"] = import_ids(again)
    one = cross_source([pubmed("1", TITLE)], {}, [first]).works[1]
    two = cross_source([pubmed("1", TITLE)], {}, [again]).works[1]
    assert one.record_id == two.record_id and one.record_id.startswith("import:")
    with_doi = cross_source(
        [], {}, [{**first, "doi": "10.1234/abc", "import_ids": ["doi:10.1234/abc"]}]
    )
    assert with_doi.works[0].record_id == "doi:10.1234/abc"


def test_a_borderline_pair_is_listed_not_merged():
    records = [pubmed("36713926", TITLE)]
    partial = exported(PSYCINFO, TITLE, 1, journal="Frontiers in Psychiatry")  # no authors
    merged = cross_source(records, {}, [partial])
    assert len(merged.works) == 2
    (pair,) = merged.possible
    assert pair["record_id"] == "36713926" and pair["other_record_id"].startswith("import:")


def test_a_preprint_is_related_not_merged():
    article = pubmed("36713926", TITLE, doi="10.3389/fpsyt.2022.947622")
    preprint = exported(
        PSYCINFO, TITLE, 1, authors=["Singleton SP", "Wang JB"], journal="medRxiv",
        doi="10.1101/2022.05.01.22274478", publication_types=["Preprint"],
    )  # fmt: skip
    merged = cross_source([article], {}, [preprint])
    assert len(merged.works) == 2
    assert any("preprint" in text for text in merged.works[0].related)


def test_a_work_is_classified_from_the_copy_whose_abstract_it_shows():
    abstract = "A randomised trial of MDMA-assisted therapy versus prolonged exposure."
    bare = exported(PSYCINFO, OTHER, 1, authors=["Mitchell JM"], journal="Nature Medicine",
                    volume="27", pages="1025-1033", design="unclear", highlight=False)  # fmt: skip
    full = exported(EMBASE, OTHER, 2, authors=["Mitchell JM"], journal="Nature Medicine",
                    volume="27", pages="1025-1033", abstract=abstract, design="rct",
                    highlight=True)  # fmt: skip
    (work,) = [w for w in cross_source([], {}, [bare, full]).works]
    assert work.record["abstract"] == abstract
    assert (work.record["design"], work.record["highlight"]) == ("rct", True)
    # a PubMed record without an abstract shows the copy's, with the copy's classification
    record = {**pubmed("36713926", OTHER, authors=("Mitchell JM",)), "design": "unclear"}
    record.update(journal="Nature Medicine", volume="27", pages="1025-1033", year=2023)
    merged = cross_source([record], {}, [full])
    (work,) = merged.works
    assert work.record["abstract"] == abstract and work.record["design"] == "rct"
    assert work.record["pmid"] == "36713926"


def test_a_work_only_an_export_found_is_flagged_when_the_essay_cites_it():
    from livescreen.review.screening import _essay_flags

    reference = {"essay_ref": 12, "pmid": None, "doi": "10.1038/s41591-021-01336-3",
                 "title": OTHER, "year": 2021, "authors": ["Mitchell JM"]}  # fmt: skip
    cited = exported(PSYCINFO, OTHER, 7, authors=["Mitchell JM"], year=2021,
                     doi="10.1038/s41591-021-01336-3")  # fmt: skip
    cited["import_ids"] = import_ids(cited)
    merged = cross_source([pubmed("1", TITLE)], {}, [cited])
    flags = _essay_flags(merged.works, [reference], {"match": 93, "possible": 80}, set())
    assert [(f["pmid"], f["essay_ref"], f["method"]) for f in flags] == [
        ("doi:10.1038/s41591-021-01336-3", 12, "doi")
    ]
    assert "not set aside automatically" in flags[0]["reason"]
    # the PubMed record, which the essay does not cite, is not flagged
    assert all(f["pmid"] != "1" for f in flags)


# -- decisions follow merges ------------------------------------------------------------------


NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def decide(store, now, *decisions):
    append_to_store(store, list(decisions), [], now)
    return read_store(store)


def test_a_decision_on_an_import_only_record_follows_it_into_the_merged_row(tmp_path):
    store = tmp_path / "decisions.csv"
    history = decide(
        store,
        NOW,
        Decision("import:0123456789abcdef", "include", "", "AB", "fMRI", source_file="t"),
    )
    members = {"36713926": ["36713926", "import:0123456789abcdef"]}
    entries = merge_entries(history, members, (NOW + dt.timedelta(days=1)).isoformat())
    assert [(e["record_id"], e["decision"], e["notes"], e["status"]) for e in entries] == [
        ("36713926", "include", "fMRI", "decided")
    ]
    assert entries[0]["source_file"] == MERGED_FROM + "import:0123456789abcdef"
    append_entries(store, entries)
    history = read_store(store)
    assert current_decisions(history)["36713926"].decision == "include"
    # carried once: the next run adds nothing
    assert merge_entries(history, members, (NOW + dt.timedelta(days=2)).isoformat()) == []
    # the original entry is still in the store, untouched
    assert current_decisions(history)["import:0123456789abcdef"].notes == "fMRI"


def test_conflicting_decisions_of_merged_records_show_as_a_conflict(tmp_path):
    store = tmp_path / "decisions.csv"
    history = decide(
        store,
        NOW,
        Decision("36713926", "exclude", "design", "SK", source_file="to_screen.csv", row=3),
        Decision("doi:10.1/x", "include", "", "AB", source_file="to_screen.csv", row=4),
    )
    members = {"36713926": ["36713926", "doi:10.1/x"]}
    entries = merge_entries(history, members, (NOW + dt.timedelta(days=1)).isoformat())
    assert sorted(e["decision"] for e in entries) == ["exclude", "include"]
    assert {e["status"] for e in entries} == {"conflict"}
    append_entries(store, entries)
    history = read_store(store)
    assert displayed_decisions(history)["36713926"].decision == ""  # shown undecided
    note = conflict_notes(history)["36713926"]
    assert "exclude" in note and "include" in note and "merged from doi:10.1/x" in note
    # a reviewer's new decision on the merged row settles it, and nothing is carried again
    later = NOW + dt.timedelta(days=2)
    history = decide(store, later, Decision("36713926", "include", "", "SK", source_file="t"))
    assert current_decisions(history)["36713926"].decision == "include"
    assert merge_entries(history, members, (later + dt.timedelta(days=1)).isoformat()) == []


def test_agreeing_decisions_keep_every_note_and_blank_ones_do_not_conflict(tmp_path):
    store = tmp_path / "decisions.csv"
    history = decide(
        store,
        NOW,
        Decision("36713926", "include", "", "SK", "first", source_file="t"),
        Decision("import:0123456789abcdef", "include", "", "AB", "second", source_file="t"),
        Decision("doi:10.1/x", "", "", "", "notes only", source_file="t"),
    )
    members = {"36713926": ["36713926", "import:0123456789abcdef", "doi:10.1/x"]}
    entries = merge_entries(history, members, (NOW + dt.timedelta(days=1)).isoformat())
    assert {e["status"] for e in entries} == {"decided"} and len(entries) == 2
    assert entries[0]["notes"] == "first | second | notes only"
    assert entries[0]["reviewer"] == "SK; AB"


# -- config --------------------------------------------------------------------------------


def test_imports_config_is_checked_naming_the_key(raw_config):
    good = {"name": PSYCINFO, "files": ["imports/a.ris"], "searched": dt.date(2024, 5, 1)}
    assert validate_config({**raw_config, "imports": [good]})["imports"][0]["searched"] == (
        "2024-05-01"
    )
    cases = [
        ({"name": PSYCINFO, "files": ["results/a.ris"]}, "imports[0].files[0]"),
        ({"name": PSYCINFO, "files": ["../a.ris"]}, "imports[0].files[0]"),
        ({"name": PSYCINFO, "files": ["imports/a.ris"], "format": "xml"}, "imports[0].format"),
        ({"name": PSYCINFO, "files": ["imports/a.ris"], "searched": "May"}, "imports[0].searched"),
        ({"files": ["imports/a.ris"]}, "imports[0]"),
        ({"name": PSYCINFO, "files": ["imports/a.ris"], "color": 1}, "imports[0]"),
        ({"name": PSYCINFO, "files": ["imports/a.ris"], "format": "ris", "columns": {"t": "x"}},
         "imports[0].columns"),
    ]  # fmt: skip
    for entry, key in cases:
        with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
            validate_config({**raw_config, "imports": [entry]})


def test_a_glob_that_matches_nothing_names_the_entry(tmp_path):
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "a.ris").write_text("TY  - JOUR\nER  - \n")
    entries = [{"name": "A", "files": ["imports/*.ris"]}, {"name": "B", "files": ["imports/b*"]}]
    with pytest.raises(ConfigError, match=r"imports\[1\] \(B\): files 'imports/b\*' match no"):
        configured_files(entries, tmp_path)
    assert configured_files(entries[:1], tmp_path) == [["imports/a.ris"]]


# -- the workflow ---------------------------------------------------------------------------


def with_imports(workdir, entries):
    config = workdir / "config.yaml"
    text = config.read_text(encoding="utf-8")
    assert "imports: []\n" in text
    block = yaml.safe_dump({"imports": entries}, allow_unicode=True, sort_keys=False)
    config.write_text(text.replace("imports: []\n", block), encoding="utf-8")


EXPORTS = [
    {
        "name": PSYCINFO,
        "files": ["imports/psycinfo_*.ris"],
        "searched": "2024-05-01",
        "query": "(MDMA OR midomafetamine) AND PTSD",
    },
    {
        "name": EMBASE,
        "files": ["imports/embase_*.nbib"],
        "format": "nbib",
        "searched": "2024-05-02",
    },
]


@pytest.fixture
def project(tmp_path):
    workdir = copy_project(tmp_path)
    (workdir / "imports").mkdir()
    for name in ("psycinfo_2024-05.ris", "embase_2024-05.nbib"):
        shutil.copy(DATA / name, workdir / "imports" / name)
    with_imports(workdir, EXPORTS)
    snakemake(workdir, *SNAPSHOT)
    return workdir


def to_screen(workdir):
    return csv_rows(workdir / "results" / "screening" / "to_screen.csv")


def save(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:  # as LibreOffice saves it
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def decide_rows(workdir, changes):
    """changes: a function (row) -> cells to set, or None."""
    path = workdir / "results" / "screening" / "to_screen.csv"
    rows = to_screen(workdir)
    for row in rows:
        row.update(changes(row) or {})
    save(path, rows)


def partial_singleton(row):
    return row["found_by"] == PSYCINFO and row["title"].startswith(SINGLETON)


def later_export_with_pmid(workdir):
    """The same PsycINFO search exported again: the partial record now carries its PMID."""
    old = workdir / "imports" / "psycinfo_2024-05.ris"
    text = old.read_text(encoding="utf-8").replace(
        "JO  - Frontiers in Psychiatry\n", "JO  - Frontiers in Psychiatry\nN1  - PMID: 36713926\n"
    )
    old.unlink()
    (workdir / "imports" / "psycinfo_2024-09.ris").write_text(text, encoding="utf-8")


@pytest.mark.workflow
def test_exports_join_the_screening_table_with_found_by(project):
    rows = {row["record_id"]: row for row in to_screen(project)}
    amoroso = rows["27118529"]  # PubMed's record, its PsycINFO copy merged by DOI
    assert amoroso["found_by"].endswith(f"; {PSYCINFO}")
    assert amoroso["found_by"].startswith("PubMed: ")
    assert "imports/psycinfo_2024-05.ris:1" in amoroso["imported_from"]
    mitchell = rows["33972795"]  # only the exports found it: its PMID (from Embase) is its id
    assert mitchell["found_by"] == f"{PSYCINFO}; {EMBASE}" and mitchell["mechanisms"] == ""
    assert "doi:10.1038/s41591-021-01336-3" in mitchell["member_ids"]
    assert mitchell["design"]  # classified like every other record
    partial = next(r for r in rows.values() if partial_singleton(r))
    assert partial["record_id"].startswith("import:") and partial["pmid"] == ""
    possible = csv_rows(project / "results" / "screening" / "possible_duplicates.csv")
    assert [(p["record_id"], p["other_record_id"]) for p in possible] == [
        ("36713926", partial["record_id"])
    ]
    # why the copies became one row: the DOI Amoroso's PubMed record and PsycINFO's share
    merges = csv_rows(project / "results" / "screening" / "merged_duplicates.csv")
    (why,) = [m for m in merges if m["record_id"] == "27118529"]
    assert why["copy"] == "pubmed:27118529" and why["rule"] == "identifier"
    assert "doi" in why["reason"].casefold()
    # the essay-cited Ot'alora trial leaves screening with its Embase copy
    assert "30371148" not in rows
    log = csv_rows(project / "results" / "search_log.csv")
    assert {r["keyword"]: r["count"] for r in log}[PSYCINFO] == "4"
    counts = {r["data"]: r for r in csv_rows(project / "results" / "prisma" / "update_counts.csv")}
    assert counts["database_specific_results"]["n"].endswith(f"{PSYCINFO}, 4; {EMBASE}, 2")
    assert counts["livescreen_cross_source_duplicates"]["n"] == "3"
    by_keyword = csv_rows(project / "results" / "prisma" / "counts_by_keyword.csv")
    assert {"PsycINFO (EBSCOhost)", "Embase (Ovid)"} <= {r["database"] for r in by_keyword}
    summary = (project / "results" / "runs" / "latest_summary.md").read_text(encoding="utf-8")
    assert f"database export {PSYCINFO}: 4 records (searched 2024-05-01" in summary
    report = (project / "results" / "report" / "search_documentation.html").read_text("utf-8")
    assert PSYCINFO in report and "(MDMA OR midomafetamine) AND PTSD" in report


@pytest.mark.workflow
def test_a_decision_follows_an_import_only_record_into_its_pubmed_record(project):
    decide_rows(
        project,
        lambda row: (
            {"decision": "include", "reviewer": "AB", "notes": "fMRI; check"}
            if partial_singleton(row)
            else None
        ),
    )
    snakemake(project, *SNAPSHOT)
    store = project / "decisions" / "decisions.csv"
    before = store.read_bytes()
    (old_id,) = [r["record_id"] for r in to_screen(project) if partial_singleton(r)]
    assert current_decisions(read_store(store))[old_id].decision == "include"

    later_export_with_pmid(project)
    snakemake(project, *SNAPSHOT)
    rows = {row["record_id"]: row for row in to_screen(project)}
    assert old_id not in rows  # merged, not shown twice and not "no longer found"
    merged = rows["36713926"]
    assert (merged["decision"], merged["reviewer"], merged["notes"]) == (
        "include",
        "AB",
        "fMRI; check",
    )
    assert merged["conflict"] == "" and old_id in merged["member_ids"]
    assert merged["found_by"].endswith(f"; {PSYCINFO}")
    assert store.read_bytes().startswith(before)  # appended to, never rewritten
    latest = sorted((project / "results" / "runs").glob("*/changes.csv"))[-1]
    assert not [c for c in csv_rows(latest) if c["record_id"] == old_id]  # not "no longer found"
    # and it stays: one more run carries nothing again
    lines = store.read_bytes().count(b"\n")
    snakemake(project, *SNAPSHOT, "--forcerun", "screening_tables")
    assert store.read_bytes().count(b"\n") == lines
    assert {r["record_id"]: r for r in to_screen(project)}["36713926"]["decision"] == "include"
    screening = read_json(project / "results" / "screening" / "screening.json")
    assert screening["deduplication"]["duplicates"] == 4


@pytest.mark.workflow
def test_merged_records_with_different_decisions_are_a_conflict(project):
    decide_rows(
        project,
        lambda row: (
            {"decision": "include", "reviewer": "AB"}
            if partial_singleton(row)
            else {"decision": "exclude", "exclusion_reason": "design", "reviewer": "SK"}
            if row["record_id"] == "36713926"
            else None
        ),
    )
    snakemake(project, *SNAPSHOT)
    later_export_with_pmid(project)
    snakemake(project, *SNAPSHOT)
    merged = {row["record_id"]: row for row in to_screen(project)}["36713926"]
    assert merged["decision"] == "" and "include" in merged["conflict"]
    assert "exclude" in merged["conflict"]
    conflicts = csv_rows(project / "results" / "screening" / "decision_conflicts.csv")
    assert sorted(c["decision"] for c in conflicts if c["record_id"] == "36713926") == [
        "exclude",
        "include",
    ]


@pytest.mark.workflow
def test_a_malformed_export_stops_the_run_naming_file_and_line(project):
    imported = project / "results" / "data" / "imported.jsonl"
    table = (project / "results" / "screening" / "to_screen.csv").read_bytes()
    broken = project / "imports" / "psycinfo_2024-06.ris"
    broken.write_text("TY  - JOUR\nTI  - A title\nTY  - JOUR\nER  - \n", encoding="utf-8")
    result = snakemake(project, *SNAPSHOT, check=False)
    assert result.returncode != 0
    assert "imports/psycinfo_2024-06.ris, line 3" in result.stdout + result.stderr
    # nothing half-imported: no records file (Snakemake removes a failed job's outputs), no
    # temporary file left, and the screening tables as they were
    assert not imported.exists()
    assert not list(imported.parent.glob(".imported.jsonl.*"))
    assert (project / "results" / "screening" / "to_screen.csv").read_bytes() == table


@pytest.mark.workflow
def test_a_glob_matching_nothing_stops_before_anything_runs(tmp_path):
    workdir = copy_project(tmp_path)
    with_imports(workdir, [{"name": PSYCINFO, "files": ["imports/none_*.ris"]}])
    result = snakemake(workdir, *SNAPSHOT, check=False)
    assert result.returncode != 0
    assert "imports[0] (PsycINFO (EBSCOhost)): files 'imports/none_*.ris' match no file" in (
        result.stdout + result.stderr
    )
    assert not (workdir / "results").exists()


@pytest.mark.workflow
def test_real_exports_are_screened_with_found_by(tmp_path, shared):
    synergy = SHARED / "benchmarks" / "screening" / "synergy"
    nbib = SHARED / "fixtures" / "medline" / "qs-global-ortho-search-queries" / "citations.nbib"
    workdir = copy_project(tmp_path)
    (workdir / "imports").mkdir()
    for path in sorted(synergy.glob("*.ris")):
        shutil.copy(path, workdir / "imports" / path.name)
    shutil.copy(nbib, workdir / "imports" / "pubmed_ortho.nbib")
    with_imports(
        workdir,
        [
            {"name": "PsycINFO (SYNERGY export)", "files": ["imports/schoot-*.ris"]},
            {"name": "PubMed export", "files": ["imports/*.nbib"], "searched": "2023-01-01"},
        ],
    )
    snakemake(workdir, *SNAPSHOT)
    rows = to_screen(workdir)
    summary = read_json(workdir / "results" / "data" / "imports.json")["imports"]
    assert [s["records"] for s in summary] == [409, 200]
    assert all(row["found_by"] for row in rows)
    assert len({row["record_id"] for row in rows}) == len(rows)
    screening = read_json(workdir / "results" / "screening" / "screening.json")
    dedup = screening["deduplication"]
    assert dedup["records"] == dedup["works"] + dedup["duplicates"]
    # every record is in exactly one row, or set aside with the essay's references
    assert len(rows) + len(screening["essay_matches"]) == dedup["works"]
