"""The reviewer's loop, as a reviewer lives it: edit any table or sheet, run again whenever,
delete results/ whenever, be interrupted at any moment — and never lose or alter a decision.

Whole `snakemake --cores 4` runs on the bundled snapshot, in temporary copies of the project,
through files saved the way Excel and LibreOffice save them (and through LibreOffice itself
when it is installed). The kill tests stop the screening step at every point where it
commits something to disk, as `kill -9` would, and run it again.
"""

import codecs
import csv
import shutil
import subprocess
import sys

import openpyxl
import pytest
import yaml

from livescreen.review.decisions import current_decisions, read_store
from tests.test_workflow import SNAPSHOT, copy_project, csv_rows, snakemake

pytestmark = pytest.mark.workflow


@pytest.fixture
def project(tmp_path):
    (tmp_path / "project").mkdir()
    workdir = copy_project(tmp_path / "project")
    snakemake(workdir, *SNAPSHOT)
    return workdir


def screening(workdir):
    return workdir / "results" / "screening"


def store(workdir):
    return current_decisions(read_store(workdir / "decisions" / "decisions.csv"))


def save_csv(path, rows, header, *, style):
    """Write rows as a spreadsheet saves a CSV: 'libreoffice' (UTF-8, no BOM, LF, comma),
    'excel-eu' (Windows-1252, ';'), 'excel-unicode' (UTF-16 with BOM, tabs)."""
    delimiter, encoding, bom = {
        "libreoffice": (",", "utf-8", b""),
        "excel-eu": (";", "cp1252", b""),
        "excel-unicode": ("\t", "utf-16-le", codecs.BOM_UTF16_LE),
    }[style]
    text = []

    class Sink:
        def write(self, s):
            text.append(s)

    writer = csv.DictWriter(Sink(), fieldnames=header, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(bom + "".join(text).encode(encoding, errors="replace"))


def edit(path, changes, *, style="libreoffice", add=()):
    rows = csv_rows(path)
    header = [*rows[0], *add]
    for row in rows:
        for column in add:
            row.setdefault(column, "")
        record = row.get("pmid") or row.get("nct_id") or row.get("trial_id")
        row.update(changes.get(record, {}))
    save_csv(path, rows, header, style=style)


def edit_sheet(path, sheet, record_id, **cells):
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    header = [cell.value for cell in ws[1]]
    ids = [header.index(c) + 1 for c in ("pmid", "nct_id", "trial_id") if c in header]
    for row in range(2, ws.max_row + 1):
        if any(str(ws.cell(row, i).value) == record_id for i in ids):
            for column, value in cells.items():
                ws.cell(row, header.index(column) + 1).value = value
    book.save(path)


def shown(path, id_columns=("pmid", "nct_id")):
    out = {}
    for row in csv_rows(path):
        record = next((row[c] for c in id_columns if row.get(c)), "") or row.get("trial_id", "")
        if row["decision"] or row["notes"]:
            out[record] = (row["decision"], row["notes"])
    return out


LONG_NOTE = "Full text: " + "checked the CONSORT diagram; " * 1800  # ~52,000 characters


def test_edits_in_every_table_and_sheet_survive_a_same_day_rerun_then_rm_results(project):
    folder = screening(project)
    to_screen = [row["pmid"] for row in csv_rows(folder / "to_screen.csv")]
    by_mechanism = csv_rows(folder / "by_mechanism" / "comparative_trials.csv")
    essay = csv_rows(folder / "essay_matches.csv")[0]["pmid"]
    edit(
        folder / "to_screen.csv",
        {
            to_screen[0]: {
                "decision": "include",
                "notes": "'t Hooft: =compare with PE",
                "fulltext": "library",
            },
            to_screen[1]: {"notes": LONG_NOTE},
        },
        add=("fulltext",),
    )
    edit(
        folder / "highlighted_trials.csv",
        {"NCT05837845": {"decision": "exclude", "notes": "registration only"}},
        style="excel-eu",
    )
    edit(
        folder / "registered_trials.csv",
        {"NCT05746572": {"decision": "maybe"}},
        style="excel-unicode",
    )
    mechanism_pmid = next(r["pmid"] for r in by_mechanism if r["pmid"] not in to_screen[:3])
    edit(
        folder / "by_mechanism" / "comparative_trials.csv",
        {mechanism_pmid: {"decision": "exclude"}},
    )
    edit(
        folder / "essay_matches.csv",
        {essay: {"decision": "include", "notes": "cited by the essay"}},
    )
    workbook = folder / "screening.xlsx"
    edit_sheet(workbook, "To screen", to_screen[2], decision="include")
    edit_sheet(workbook, "Highlighted", "NCT06044675", decision="include", notes="the CBCT trial")
    edit_sheet(workbook, "Registered trials", "NCT03537014", decision="exclude")

    result = snakemake(project, *SNAPSHOT)  # the same day: no --forcerun needed
    expected = {
        to_screen[0]: ("include", "'t Hooft: =compare with PE"),
        to_screen[1]: ("", LONG_NOTE),
        to_screen[2]: ("include", ""),
        mechanism_pmid: ("exclude", ""),
        essay: ("include", "cited by the essay"),
        "NCT05837845": ("exclude", "registration only"),
        "NCT05746572": ("maybe", ""),
        "NCT06044675": ("include", "the CBCT trial"),
        "NCT03537014": ("exclude", ""),
    }
    decided = {k: (d.decision, d.notes) for k, d in store(project).items()}
    assert decided == expected
    assert (
        "decisions recorded this run: 9" in (project / "results/runs/latest_summary.md").read_text()
    )
    assert "Nothing to be done" not in result.stdout + result.stderr

    def everything_shown():
        tables = {
            **shown(folder / "to_screen.csv"),
            **shown(folder / "registered_trials.csv"),
            **shown(folder / "essay_matches.csv"),
        }
        row = next(r for r in csv_rows(folder / "to_screen.csv") if r["pmid"] == to_screen[0])
        assert row["fulltext"] == "library"  # the reviewer's column, shown again
        return tables

    assert everything_shown() == expected
    assert prisma_matches_the_store(project)
    # a rerun changes nothing and records nothing
    again = snakemake(project, *SNAPSHOT)
    assert "Nothing to be done" in again.stdout + again.stderr
    shutil.rmtree(project / "results")
    snakemake(project, *SNAPSHOT)
    assert everything_shown() == expected
    assert {k: (d.decision, d.notes) for k, d in store(project).items()} == expected
    assert prisma_matches_the_store(project)


def prisma_matches_the_store(workdir):
    """The review-so-far PRISMA counts are the store's decisions over the screened records."""
    folder = screening(workdir)
    screened = [r["pmid"] for r in csv_rows(folder / "to_screen.csv")]
    screened += [r["nct_id"] for r in csv_rows(folder / "registered_trials.csv")]
    decided = store(workdir)
    verdicts = [decided[r].decision if r in decided else "" for r in screened]
    n = {row["data"]: row["n"] for row in csv_rows(workdir / "results" / "prisma" / "counts.csv")}
    assert int(n["records_screened"]) == len(screened)
    assert int(n["records_excluded"]) == verdicts.count("exclude")
    assert int(n["livescreen_passed_screening"]) == verdicts.count("include")
    awaiting = len(screened) - verdicts.count("exclude") - verdicts.count("include")
    assert int(n["livescreen_awaiting_decision"]) == awaiting
    return True


def reconfigure(workdir, change):
    path = workdir / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def test_a_record_dropping_out_and_keywords_removed_or_renamed_lose_nothing(project):
    folder = screening(project)
    rows = csv_rows(folder / "by_mechanism" / "comparative_trials.csv")
    only_comparative = [
        r["pmid"]
        for r in csv_rows(folder / "to_screen.csv")
        if r["mechanisms"] == "comparative_trials"
    ]
    assert only_comparative
    gone = only_comparative[0]
    edit(folder / "to_screen.csv", {gone: {"decision": "exclude", "exclusion_reason": "design"}})
    insight = csv_rows(folder / "by_mechanism" / "insight_breakthrough.csv")
    assert rows and insight
    opened = insight[0]["pmid"]
    edit(
        folder / "by_mechanism" / "insight_breakthrough.csv",
        {opened: {"notes": "insight measured by the PIQ"}},
    )
    title = next(r["title"] for r in csv_rows(folder / "to_screen.csv") if r["pmid"] == gone)

    def rename_and_remove(config):
        config["keywords"] = [k for k in config["keywords"] if k["slug"] != "comparative_trials"]
        for entry in config["keywords"]:
            if entry["slug"] == "insight_breakthrough":
                entry["slug"] = "insight_breakthrough_v2"
        # the mechanism instruments are keyed by slug: a reviewer renames them too (livescreen
        # stops naming the key otherwise, checked below)
        instruments = config["mechanism_instruments"]
        instruments["insight_breakthrough_v2"] = instruments.pop("insight_breakthrough")
        instruments.pop("comparative_trials", None)

    def rename_only_the_keyword(config):
        rename_and_remove(config)
        instruments = config["mechanism_instruments"]
        instruments["insight_breakthrough"] = instruments.pop("insight_breakthrough_v2")

    config_before = (project / "config.yaml").read_text(encoding="utf-8")
    reconfigure(project, rename_only_the_keyword)
    stopped = snakemake(project, *SNAPSHOT, check=False)
    assert stopped.returncode != 0
    assert "mechanism_instruments.insight_breakthrough: not a keyword slug" in stopped.stderr
    (project / "config.yaml").write_text(config_before, encoding="utf-8")
    reconfigure(project, rename_and_remove)
    for _ in range(2):  # the run after the change, and the one after that
        snakemake(project, *SNAPSHOT)
        row = next(r for r in csv_rows(folder / "to_screen.csv") if r["pmid"] == gone)
        assert (row["still_found"], row["decision"], row["exclusion_reason"]) == (
            "false",
            "exclude",
            "design",
        )
        assert row["title"] == title and row["design"] and row["mechanisms"] == "comparative_trials"
        assert not (folder / "by_mechanism" / "insight_breakthrough.csv").exists()
        renamed = csv_rows(folder / "by_mechanism" / "insight_breakthrough_v2.csv")
        assert {r["pmid"]: r["notes"] for r in renamed}[opened] == "insight measured by the PIQ"
    assert store(project)[gone].decision == "exclude"


KILL_DRIVER = r"""
import os, sys, builtins
from pathlib import Path
point, mode = int(sys.argv[1]), sys.argv[2]
calls = [0]
real_replace, real_fsync, real_open = os.replace, os.fsync, builtins.open

def commit_point(real):
    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] == point:
            os._exit(137)  # as kill -9: no cleanup, no finally
        return real(*args, **kwargs)
    return wrapped

if mode == "kill":
    os.replace, os.fsync = commit_point(real_replace), commit_point(real_fsync)
elif mode == "read-only":
    def guarded(file, mode="r", *args, **kwargs):
        if "by_mechanism" in str(file) and any(m in mode for m in "wax"):
            raise PermissionError(13, "Read-only file system", str(file))
        return real_open(file, mode, *args, **kwargs)
    builtins.open = guarded

from livescreen.review.screening import Inputs, build
from livescreen.review.views import start_up_harvest
r = Path("results")
start_up_harvest(r / "screening", "decisions", [])
result = build(
    Inputs(str(r / "data/classified.jsonl"), str(r / "data/registrations.jsonl"),
           sorted(str(p) for p in (r / "search").glob("*.json")),
           str(r / "references/essay_references.json"), str(r / "registry/studies.json")),
    screening=r / "screening", decisions=Path("decisions"), runs=r / "runs",
    store="results/store", keywords=sorted(p.stem for p in (r / "search").glob("*.json")),
    essay_title_match={"match": 93, "possible": 80},
)
print("commit points", calls[0])
"""


def screening_step(workdir, point=0, mode="kill"):
    return subprocess.run(
        [sys.executable, "-c", KILL_DRIVER, str(point), mode],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_kill_at_every_commit_point_or_a_read_only_folder_never_alters_a_decision(
    project, tmp_path
):
    folder = screening(project)
    pmids = [row["pmid"] for row in csv_rows(folder / "to_screen.csv")]
    edit(folder / "to_screen.csv", {pmids[0]: {"decision": "include", "notes": "keep"}})
    edit_sheet(folder / "screening.xlsx", "To screen", pmids[1], decision="exclude")
    edit(folder / "highlighted_trials.csv", {"NCT05837845": {"decision": "maybe"}})
    expected = {
        pmids[0]: ("include", "keep"),
        pmids[1]: ("exclude", ""),
        "NCT05837845": ("maybe", ""),
    }
    # the edits above are waiting; the next screening step is killed at each commit point
    # of an ordinary run (appending the store, writing each table and the ledger, ...)
    baseline = tmp_path / "baseline"
    shutil.copytree(project, baseline)
    clean = screening_step(baseline)
    assert clean.returncode == 0, clean.stderr
    points = int(clean.stdout.split("commit points")[-1])
    assert points > 10
    for point in [*range(1, points + 1), 0]:
        trial = tmp_path / f"kill-{point}"
        shutil.copytree(project, trial)
        killed = screening_step(trial, point)
        assert killed.returncode == (137 if point else 0), killed.stderr
        # a reviewer opens a table now, and edits one more record in it
        extra = pmids[2]
        edit(
            screening(trial) / "to_screen.csv",
            {extra: {"decision": "exclude", "notes": f"after kill {point}"}},
        )
        after = screening_step(trial)
        assert after.returncode == 0, (point, after.stderr)
        decided = {k: (d.decision, d.notes) for k, d in store(trial).items()}
        assert decided == {**expected, extra: ("exclude", f"after kill {point}")}, point
        assert shown(screening(trial) / "to_screen.csv") == {
            k: v for k, v in decided.items() if k in pmids
        }, point
        shutil.rmtree(trial)
    # a read-only by_mechanism folder: the step fails, nothing is lost, and it recovers
    denied = screening_step(project, mode="read-only")
    assert denied.returncode != 0 and "PermissionError" in denied.stderr
    assert {k: (d.decision, d.notes) for k, d in store(project).items()} == expected
    snakemake(project, *SNAPSHOT)
    assert {k: (d.decision, d.notes) for k, d in store(project).items()} == expected


def test_a_torn_store_line_is_set_aside_and_reported(project):
    folder = screening(project)
    pmid = csv_rows(folder / "to_screen.csv")[0]["pmid"]
    edit(folder / "to_screen.csv", {pmid: {"decision": "include"}})
    snakemake(project, *SNAPSHOT)
    decisions = project / "decisions" / "decisions.csv"
    with open(decisions, "ab") as handle:
        handle.write(f"{pmid},excl".encode())  # a crash in the middle of an append
    edit(folder / "to_screen.csv", {pmid: {"notes": "second look"}})
    snakemake(project, *SNAPSHOT)
    assert (store(project)[pmid].decision, store(project)[pmid].notes) == ("include", "second look")
    assert f"{pmid},excl" in (project / "decisions" / "torn_lines.txt").read_text()
    assert "torn_lines.txt" in (project / "results/runs/latest_summary.md").read_text()
    snakemake(project, *SNAPSHOT)  # and every later run works
    assert store(project)[pmid].notes == "second look"


def test_decisions_round_trip_through_files_libreoffice_saved(project, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice is not installed")
    folder = screening(project)
    pmid = csv_rows(folder / "to_screen.csv")[0]["pmid"]
    edit_sheet(
        folder / "screening.xlsx", "To screen", pmid, decision="include", notes="'t Hooft =1"
    )
    edit(
        folder / "registered_trials.csv",
        {"NCT05746572": {"decision": "maybe", "notes": "-2 points"}},
    )
    out = tmp_path / "resaved"
    for name, target in (("screening.xlsx", "xlsx"), ("registered_trials.csv", "csv")):
        result = subprocess.run(
            [
                office,
                f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                "--headless",
                "--convert-to",
                target if target == "xlsx" else "csv:Text - txt - csv (StarCalc):44,34,76,1",
                "--outdir",
                str(out),
                str(folder / name),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        shutil.copy(out / name, folder / name)
    snakemake(project, *SNAPSHOT)
    decided = store(project)
    assert (decided[pmid].decision, decided[pmid].notes) == ("include", "'t Hooft =1")
    assert (decided["NCT05746572"].decision, decided["NCT05746572"].notes) == ("maybe", "-2 points")
    assert len(decided) == 2  # LibreOffice re-saving every other cell changed nothing
