"""The whole workflow, `snakemake --cores 4`, in a temporary copy of the project.

Runs against the bundled snapshot and against the loopback E-utilities stand-in (the live
code path with another base URL), with faults injected and the rate limit measured.
"""

import csv
import io
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from livescreen.files import read_json
from tests.conftest import ROOT

pytestmark = pytest.mark.workflow

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
PROJECT_FILES = [
    "Snakefile",
    "config.yaml",
    "rules",
    "scripts",
    "envs",
    "resources",
    "report",
    "profiles",
    ".test",
]
BATCH = 5  # as in .test/config/stand-ins.yaml
SNAPSHOT = ("--configfile", ".test/config/snapshot.yaml")
STAND_INS = ".test/config/stand-ins.yaml"


def copy_project(target, ctgov_url=None):
    """The project's workflow files in `target`, with its `.test/` configs; live runs (`live`)
    reach the registry at `ctgov_url`, written into the copy's stand-ins overlay."""
    for name in PROJECT_FILES:
        source = ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, target / name)
    if ctgov_url:
        overlay = target / STAND_INS
        settings = yaml.safe_load(overlay.read_text(encoding="utf-8"))
        overlay.write_text(yaml.safe_dump({**settings, "ctgov_base_url": ctgov_url}), "utf-8")
    return target


@pytest.fixture
def workdir(tmp_path, ctgov_standin):
    return copy_project(tmp_path, ctgov_standin.base_url)


def snakemake(workdir, *args, env=None, check=True):
    result = subprocess.run(
        [SNAKEMAKE, "--cores", "4", *args],
        cwd=workdir,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        pytest.fail(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def live(server, *extra):
    return ["--configfile", STAND_INS, "--config", f"eutils_base_url={server.base_url}", *extra]


def table(workdir):
    return (workdir / "results" / "screening" / "to_screen.csv").read_text(encoding="utf-8-sig")


VOLATILE = {"first_seen", "source", "retrieved"}  # when and from where, not what


def without_source(text):
    """to_screen.csv without the columns that say where and when records came from."""
    rows = csv.DictReader(io.StringIO(text, newline=""))
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]


def unique_pmids(workdir):
    return read_json(workdir / "results" / "data" / "fetched.json")["pmids"]


# Snapshot records that the essay cites, by essay reference number (checked by hand).
ESSAY_CITED_IN_SNAPSHOT_HITS = {
    "24097374": "16",
    "28635375": "31",
    "28825422": "27",
    "30371148": "17",
}


def csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_snapshot_run_writes_the_screening_table(workdir, raw_config):
    snakemake(workdir, *SNAPSHOT)
    rows = csv_rows(workdir / "results" / "screening" / "to_screen.csv")
    matches = csv_rows(workdir / "results" / "screening" / "essay_matches.csv")
    assert {m["pmid"]: m["essay_ref"] for m in matches} == ESSAY_CITED_IN_SNAPSHOT_HITS
    assert len(rows) + len(matches) == len(unique_pmids(workdir)) > 10
    assert not {row["pmid"] for row in rows} & set(ESSAY_CITED_IN_SNAPSHOT_HITS)
    assert {row["source"] for row in rows} == {"snapshot"}
    references = csv_rows(workdir / "results" / "references" / "essay_references.csv")
    assert len(references) == 33
    assert all(row["design"] and row["highlight_reason"] for row in rows)
    flags = [row["highlight"] == "true" for row in rows]
    assert flags == sorted(flags, reverse=True)  # highlighted rows first
    screening = workdir / "results" / "screening"
    highlighted = csv_rows(screening / "highlighted_trials.csv")
    publications = [r["pmid"] for r in highlighted if r["record_type"] == "publication"]
    assert publications == [r["pmid"] for r in rows if r["highlight"] == "true"]
    registered = csv_rows(screening / "registered_trials.csv")
    assert len(registered) == 8
    # the three bundled registrations of trials comparing or combining MDMA with CPT, massed
    # PE and CBCT, all still recruiting (checked by hand against registered_trials.json)
    expected = {"NCT05837845", "NCT05746572", "NCT06044675"}
    assert {r["nct_id"] for r in registered if r["highlight"] == "true"} == expected
    assert {r["trial_id"] for r in highlighted if r["record_type"] == "registration"} == expected
    # linked both ways: MAPP1's registration lists its papers, and they show its NCT id
    mapp1 = next(r for r in registered if r["nct_id"] == "NCT03537014")
    assert "36815187" in mapp1["linked_pmids"].split("; ")
    by_pmid = {r["pmid"]: r for r in rows}
    assert "NCT03537014" in by_pmid["36815187"]["nct_ids"]

    # PRISMA 2020: identified - duplicates - records already cited by the essay = screened
    prisma = {r["data"]: r["n"] for r in csv_rows(workdir / "results" / "prisma" / "counts.csv")}
    identified = int(prisma["database_results"]) + int(prisma["register_results"])
    removed = int(prisma["duplicates"]) + int(prisma["excluded_other"])
    assert identified - removed == int(prisma["records_screened"]) == len(rows) + len(registered)
    assert int(prisma["excluded_other"]) == len(matches)
    svg = (workdir / "results" / "prisma" / "flow.svg").read_text()
    assert f"(n = {prisma['records_screened']})" in svg

    # the workflow's report builds, with the search documentation in it
    snakemake(workdir, "--report", "results/report.html", *SNAPSHOT)
    assert (workdir / "results" / "report.html").stat().st_size > 100_000
    documentation = (workdir / "results" / "report" / "search_documentation.html").read_text()
    assert all(keyword["slug"] in documentation for keyword in raw_config["keywords"])
    for keyword in raw_config["keywords"]:
        slug = keyword["slug"]
        found = csv_rows(screening / "by_mechanism" / f"{slug}.csv")
        assert [r["pmid"] for r in found] == [
            r["pmid"] for r in rows if slug in r["mechanisms"].split("; ")
        ]
    log = (workdir / "results" / "search_log.csv").read_text(encoding="utf-8-sig")
    assert len(log.strip().splitlines()) == 1 + len(raw_config["keywords"])
    assert "offline snapshot" in log


def test_live_path_counts_requests_keeps_the_rate_and_matches_snapshot(
    workdir, standin, raw_config, tmp_path_factory
):
    keywords = len(raw_config["keywords"])
    snakemake(workdir, "results/data/fetched.json", *live(standin))  # search and fetch only
    pmids = unique_pmids(workdir)
    assert len(standin.recorded("esearch")) == keywords
    assert len(standin.recorded("efetch")) == math.ceil(len(pmids) / BATCH)

    snakemake(workdir, *live(standin))  # the rest: references, tables
    assert len(standin.recorded("ecitmatch")) == 1  # all journal references in one request
    assert standin.max_requests_in_window(1.0) <= 3

    # the same sources as the live run (.test/config/stand-ins.yaml: no Europe PMC, no
    # citation chasing), so found_by and the ids agree
    offline = copy_project(tmp_path_factory.mktemp("offline"))
    snakemake(offline, *SNAPSHOT, ".test/config/pubmed-only.yaml")
    assert without_source(table(workdir)) == without_source(table(offline))

    standin.reset()
    snakemake(workdir, "--forcerun", "search", *live(standin))
    assert len(standin.recorded("esearch")) == keywords
    assert standin.recorded("efetch") == []  # everything is in the store already
    assert standin.recorded("ecitmatch") == []  # the references did not change


def test_faults_leave_the_output_identical(workdir, standin, ctgov_standin, tmp_path_factory):
    snakemake(workdir, *live(standin))
    clean = table(workdir)

    faulty = copy_project(tmp_path_factory.mktemp("faulty"), ctgov_standin.base_url)
    standin.reset()
    standin.inject("esearch", "429", "500", "html200", "truncated", "reset", "esearch-error")
    standin.inject("efetch", "429", "503", "short", "truncated", "reset", "slow:3")
    snakemake(faulty, *live(standin))
    assert without_source(table(faulty)) == without_source(clean)
    assert standin.pending_faults("esearch") == standin.pending_faults("efetch") == []
    assert standin.max_requests_in_window(1.0) <= 3


def test_exhausted_retries_fail_the_job_and_leave_no_table(workdir, standin):
    standin.persist("efetch", "500")  # every attempt of every job fails (retries cannot win)
    result = snakemake(workdir, *live(standin, "max_retries=2"), check=False)
    assert result.returncode != 0
    assert not (workdir / "results" / "screening" / "to_screen.csv").exists()
    assert not (workdir / "results" / "data" / "fetched.json").exists()
    log = (workdir / "logs" / "fetch.log").read_text()
    assert "efetch.fcgi" in log and "failed after 3 attempts" in log and "HTTP 500" in log


def test_config_error_names_the_key_before_any_request(workdir, standin):
    config = workdir / "config.yaml"
    config.write_text(config.read_text().replace("slug: openness", "slug: Openness!"))
    result = snakemake(workdir, *live(standin), check=False)
    assert result.returncode != 0
    assert "keywords[5].slug" in result.stdout + result.stderr
    assert standin.recorded() == []


def test_api_key_never_reaches_logs_outputs_or_snakemake_metadata(workdir, standin):
    key = "feedfacefeedfacefeedfacefeedface0042"
    standin.inject("efetch", "429")  # its body echoes the key
    result = snakemake(workdir, *live(standin), env={"NCBI_API_KEY": key})
    assert all(r.params.get("api_key") == key for r in standin.recorded())
    assert key not in result.stdout + result.stderr
    for path in workdir.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


def edit_csv_like_excel_in_europe(path, decisions):
    """Rewrite a table as Excel does in a European locale: ';' delimiter, no BOM, ANSI."""
    rows = csv_rows(path)
    for row in rows:
        row.update(decisions.get(row.get("pmid") or row.get("nct_id"), {}))
    with open(path, "w", encoding="cp1252", errors="replace", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)


def edit_workbook(path, sheet, record_id, decision):
    from openpyxl import load_workbook

    book = load_workbook(path)
    ws = book[sheet]
    header = [cell.value for cell in ws[1]]
    id_col = header.index("pmid" if "pmid" in header else "nct_id") + 1
    for row in range(2, ws.max_row + 1):
        if str(ws.cell(row, id_col).value) == record_id:
            ws.cell(row, header.index("decision") + 1).value = decision
    book.save(path)


def decisions_in(path, id_column="pmid"):
    return {row[id_column]: row["decision"] for row in csv_rows(path) if row["decision"]}


def test_decisions_survive_reruns_a_deleted_results_folder_and_bad_edits(workdir):
    screening = workdir / "results" / "screening"
    snakemake(workdir, *SNAPSHOT)
    first, second = [row["pmid"] for row in csv_rows(screening / "to_screen.csv")][:2]

    # a reviewer decides in the CSV (saved by Excel, European locale) and in the workbook
    edit_csv_like_excel_in_europe(
        screening / "to_screen.csv",
        {first: {"decision": "Include", "reviewer": "AB", "notes": "MDMA vs placebo; keep"}},
    )
    edit_workbook(screening / "screening.xlsx", "Registered trials", "NCT05837845", "include")
    edit_workbook(screening / "screening.xlsx", "To screen", second, "exclude")
    snakemake(workdir, "--forcerun", "search", *SNAPSHOT)
    expected = {first: "include", second: "exclude"}
    assert decisions_in(screening / "to_screen.csv") == expected
    assert decisions_in(screening / "registered_trials.csv", "nct_id") == {"NCT05837845": "include"}
    row = next(r for r in csv_rows(screening / "to_screen.csv") if r["pmid"] == first)
    assert (row["reviewer"], row["notes"], row["new_this_run"]) == (
        "AB",
        "MDMA vs placebo; keep",
        "false",
    )
    store = workdir / "decisions" / "decisions.csv"
    assert len(csv_rows(store)) == 3

    # deleting results/ loses nothing
    shutil.rmtree(workdir / "results")
    snakemake(workdir, *SNAPSHOT)
    assert decisions_in(screening / "to_screen.csv") == expected
    assert len(csv_rows(store)) == 3

    # two sources disagree: both kept, reported, the decision shown blank until settled
    edit_csv_like_excel_in_europe(screening / "to_screen.csv", {first: {"decision": "maybe"}})
    edit_workbook(screening / "screening.xlsx", "To screen", first, "exclude")
    snakemake(workdir, "--forcerun", "search", *SNAPSHOT)
    conflicts = csv_rows(screening / "decision_conflicts.csv")
    assert sorted(c["decision"] for c in conflicts) == ["exclude", "maybe"]
    assert {c["decision_before"] for c in conflicts} == {"include"}
    assert first not in decisions_in(screening / "to_screen.csv")

    # an edit that cannot be read stops the run before anything is rewritten
    edit_csv_like_excel_in_europe(screening / "to_screen.csv", {second: {"decision": "nope"}})

    def tables():  # the manifest is Snakemake's output: removed when the job fails
        return {p: p.read_bytes() for p in screening.rglob("*.*") if p.name != "tables.json"}

    before = tables()
    store_before = store.read_bytes()
    result = snakemake(workdir, "--forcerun", "search", *SNAPSHOT, check=False)
    assert result.returncode != 0
    # the message comes first thing, before any job or request, and it is the last line
    message = result.stderr.strip().splitlines()
    assert "to_screen.csv" in message[-2] and f"record {second}" in message[-2]
    assert "'nope'" in message[-2] and message[-1].startswith("Nothing was recorded")
    assert "Traceback" not in result.stderr
    assert tables() == before
    assert store.read_bytes() == store_before
