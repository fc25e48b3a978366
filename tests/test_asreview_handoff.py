"""The hand-off to ASReview LAB and back: `results/exports/asreview_dataset.csv` (the rule
`asreview_dataset`) and `livescreen asreview-import FILE --reviewer NAME`.

ASReview LAB's export is made here as ASReview LAB 3 makes it (its web app's
`export_dataset`: the dataset's cells as its reader read them, an unnamed index column, then
`asreview_group_id`, `asreview_label`, `asreview_time`, `asreview_note`); where ASReview
LAB itself is installed (`$LIVESCREEN_ASREVIEW_PYTHON`, else /tmp/asreview-venv), one test
opens the dataset in it, labels records through its API and imports its real export.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from livescreen.cli import main as cli
from livescreen.columns import REGISTRATION_COLUMNS, SCREENING_COLUMNS
from livescreen.export.asreview import COLUMNS, write_dataset
from livescreen.files import read_json, write_json
from livescreen.review.asreview_import import AsreviewImportError, import_labels
from livescreen.review.decisions import (
    Decision,
    append_to_store,
    conflict_notes,
    conflict_rows,
    displayed_decisions,
    read_store,
)
from tests.conftest import ROOT

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)

PUBLICATIONS = [
    {
        "pmid": "30000001",
        "decision": "include",
        "reviewer": "AB",
        "title": "MDMA-assisted therapy versus prolonged exposure",
        "abstract": "A randomised trial.",
        "keywords": "MDMA; PTSD",
        "mesh": "Stress Disorders, Post-Traumatic; N-Methyl-3,4-methylenedioxyamphetamine",
        "authors": "Smith AB; Jones C",
        "year": "2024",
        "doi": "10.1000/one",
        "pubmed_url": "https://pubmed.ncbi.nlm.nih.gov/30000001/",
    },
    {
        "pmid": "30000002",
        "decision": "exclude",
        "exclusion_reason": "not a trial",
        "reviewer": "AB",
        "title": '=HYPERLINK("https://example.org") a title a spreadsheet would run',
        "abstract": "-aminobutyric acid receptors (the gamma was lost upstream).",
    },
    {"pmid": "30000003", "decision": "maybe", "reviewer": "AB", "title": "Maybe this one"},
    {"pmid": "30000004", "title": "Undecided", "pub_date": "2021 Mar"},
    {"pmid": "30000005", "title": "Also undecided", "notes": "dose unclear"},
    {"pmid": "30000006", "title": "Left unlabelled in ASReview"},
]
REGISTRATIONS = [
    {
        "nct_id": "NCT05837845",
        "decision": "include",
        "reviewer": "AB",
        "title": "",
        "acronym": "aCPT",
        "status": "RECRUITING",
        "phase": "PHASE2",
        "start_date": "2025-02-10",
        "registry_url": "https://clinicaltrials.gov/study/NCT05837845",
    }
]
STORED = [  # the decision store behind PUBLICATIONS / REGISTRATIONS
    ("30000001", "include", "", "AB", ""),
    ("30000002", "exclude", "not a trial", "AB", ""),
    ("30000003", "maybe", "", "AB", ""),
    ("30000005", "", "", "", "dose unclear"),
    ("NCT05837845", "include", "", "AB", ""),
]


# -- a project folder: screening.json and the decision store ------------------------------------


def project(tmp_path: Path) -> tuple[Path, Path]:
    screening, decisions = tmp_path / "results" / "screening", tmp_path / "decisions"
    screening.mkdir(parents=True)
    write_json(
        screening / "screening.json",
        {
            "run": "2026-12-01T11:00:00Z",
            "run_folder": "results/runs/x",
            "publications": [dict.fromkeys(SCREENING_COLUMNS, "") | r for r in PUBLICATIONS],
            "registrations": [dict.fromkeys(REGISTRATION_COLUMNS, "") | r for r in REGISTRATIONS],
            "essay_matches": [],
            "highlighted": [],
        },
    )
    decided = [
        Decision(rid, decision, reason, reviewer, notes, source_file="to_screen.csv", row=n)
        for n, (rid, decision, reason, reviewer, notes) in enumerate(STORED, start=2)
    ]
    append_to_store(decisions / "decisions.csv", decided, [], NOW)
    return screening, decisions


def export_dataset(tmp_path: Path, screening: Path) -> Path:
    path = tmp_path / "results" / "exports" / "asreview_dataset.csv"
    write_dataset(path, read_json(screening / "screening.json"))
    return path


def asreview_export(dataset: Path, labels: dict[str, int], out: Path) -> Path:
    """ASReview LAB 3's "Export" > dataset for a project started from `dataset`, in which
    the reviewer labelled `labels` (record_id -> 1/0; the dataset's labels are its prior
    knowledge): the input's cells as its CSV reader reads them, then its own columns."""
    frame = pd.read_csv(dataset, sep=None, engine="python", encoding="utf-8")
    ids = frame["record_id"].astype(str)
    prior = frame["label_included"]
    frame["asreview_group_id"] = range(len(frame))
    frame["asreview_label"] = [
        labels.get(rid, None if pd.isna(p) else int(p)) for rid, p in zip(ids, prior, strict=True)
    ]
    frame["asreview_label"] = frame["asreview_label"].astype("Int64")
    frame["asreview_time"] = [
        "2026-12-02 09:00:00" if pd.notna(v) else None for v in frame["asreview_label"]
    ]
    frame["asreview_note"] = None
    if out.suffix == ".xlsx":
        frame.to_excel(out, index=True, engine="openpyxl")
    else:
        frame.to_csv(out, index=True, sep="\t" if out.suffix == ".tsv" else ",")
    return out


def store_bytes(decisions: Path) -> bytes:
    return (decisions / "decisions.csv").read_bytes()


def imported(decisions: Path) -> list[dict]:
    return [e for e in read_store(decisions / "decisions.csv") if "ASReview" in e["source_file"]]


# -- the dataset -------------------------------------------------------------------------------


def test_dataset_columns_and_labels_follow_the_decisions(tmp_path):
    screening, _ = project(tmp_path)
    path = export_dataset(tmp_path, screening)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # ASReview would read a BOM into the header
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == COLUMNS
    assert COLUMNS == [
        "record_id",
        *("title", "abstract", "keywords", "authors", "year", "doi", "url"),
        "label_included",
    ]
    by_id = {r["record_id"]: r for r in rows}
    assert [r["record_id"] for r in rows] == [
        *(p["pmid"] for p in PUBLICATIONS),
        "NCT05837845",
    ]
    labels = {rid: r["label_included"] for rid, r in by_id.items()}
    assert labels == {
        "30000001": "1",
        "30000002": "0",
        "30000003": "",  # maybe: undecided for ASReview
        "30000004": "",
        "30000005": "",
        "30000006": "",
        "NCT05837845": "1",
    }
    first = by_id["30000001"]
    assert first["keywords"].split(";") == [
        "MDMA",
        "PTSD",
        "Stress Disorders, Post-Traumatic",
        "N-Methyl-3,4-methylenedioxyamphetamine",
    ]
    assert first["authors"] == "Smith AB;Jones C" and first["year"] == "2024"
    assert first["doi"] == "10.1000/one" and first["url"].endswith("/30000001/")
    assert by_id["30000004"]["year"] == "2021"
    # cells a spreadsheet would run as formulas are guarded, as in every livescreen CSV
    assert by_id["30000002"]["title"].startswith("'=HYPERLINK(")
    assert by_id["30000002"]["abstract"].startswith("'-aminobutyric")
    trial = by_id["NCT05837845"]
    assert trial["title"] == "aCPT" and "status: RECRUITING" in trial["abstract"]
    assert trial["year"] == "2025" and trial["url"].endswith("NCT05837845")


def test_the_rule_is_a_workflow_output():
    common = (ROOT / "rules" / "common.smk").read_text(encoding="utf-8")
    export = (ROOT / "rules" / "export.smk").read_text(encoding="utf-8")
    assert '"results/exports/asreview_dataset.csv"' in common
    assert "rule asreview_dataset:" in export and "logs/asreview_dataset.log" in export
    script = (ROOT / "scripts" / "asreview_dataset.py").read_text(encoding="utf-8")
    assert len(script.splitlines()) <= 25


# -- back from ASReview ------------------------------------------------------------------------


def test_round_trip_records_new_labels_with_reviewer_and_source(tmp_path):
    screening, decisions = project(tmp_path)
    before = store_bytes(decisions)
    dataset = export_dataset(tmp_path, screening)
    export = asreview_export(
        dataset,
        {"30000004": 1, "30000005": 0, "30000003": 1},  # 30000006 left unlabelled
        tmp_path / "asreview_export.csv",
    )
    result = import_labels(export, "SK", decisions, screening, now=LATER)
    assert (result.included, result.excluded, result.skipped) == (1, 1, 1)
    # the priors (30000001, 30000002, NCT05837845) come back as handed over: unchanged
    assert result.unchanged == 3
    # AB's maybe is another reviewer's different decision: a conflict, never overwritten
    assert result.conflicts == 1
    assert store_bytes(decisions).startswith(before)  # append-only
    history = read_store(decisions / "decisions.csv")
    shown = displayed_decisions(history)
    excluded = shown["30000005"]
    assert (excluded.decision, excluded.exclusion_reason, excluded.reviewer) == (
        "exclude",
        "",
        "SK",
    )
    assert excluded.notes == "dose unclear; from ASReview LAB export asreview_export.csv"
    entry = next(e for e in history if e["record_id"] == "30000005" and e["reviewer"] == "SK")
    assert entry["source_file"] == "ASReview LAB export asreview_export.csv, row 6"
    assert entry["status"] == "decided" and entry["screener"] == ""
    assert shown["30000004"].decision == "include" and shown["30000004"].reviewer == "SK"
    assert shown["30000004"].notes == "from ASReview LAB export asreview_export.csv"
    assert shown["30000003"].decision == ""  # in conflict: shown undecided
    assert (
        "maybe (to_screen.csv) vs include (ASReview LAB export"
        in conflict_notes(history)["30000003"]
    )
    # untouched records keep their decisions exactly
    for rid in ("30000001", "30000002", "NCT05837845"):
        assert shown[rid] == displayed_decisions(history[: len(STORED)])[rid]


def test_the_command_prints_the_summary(tmp_path, capsys):
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    export = asreview_export(dataset, {"30000004": 1, "30000006": 0}, tmp_path / "lab.csv")
    argv = [
        "asreview-import",
        str(export),
        "--reviewer",
        "SK",
        "--decisions",
        str(decisions),
        "--screening",
        str(screening),
        "--config",
        str(tmp_path / "no-config.yaml"),
    ]
    assert cli(argv) == 0
    out = capsys.readouterr().out
    assert (
        "livescreen: ASReview LAB export lab.csv: 1 included, 1 excluded, 3 unchanged, "
        "2 skipped (unlabelled), 0 in conflict" in out
    )
    assert "reviewer SK" in out and "run the workflow again" in out
    assert cli(argv) == 0  # again: nothing new
    assert ": 0 included, 0 excluded, 5 unchanged, 2 skipped" in capsys.readouterr().out


def test_a_different_decision_by_another_reviewer_is_a_conflict(tmp_path):
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    export = asreview_export(dataset, {"30000001": 0}, tmp_path / "lab.csv")  # AB included
    result = import_labels(export, "SK", decisions, screening, now=LATER)
    assert result.conflicts == 1 and result.excluded == 0
    history = read_store(decisions / "decisions.csv")
    assert displayed_decisions(history)["30000001"].decision == ""  # until decided again
    rows = [r for r in conflict_rows(history) if r["record_id"] == "30000001"]
    assert [(r["decision"], r["reviewer"], r["source_file"]) for r in rows] == [
        ("include", "AB", "to_screen.csv"),
        ("exclude", "SK", "ASReview LAB export lab.csv"),
    ]
    assert all(r["decision_before"] == "include" for r in rows)
    # the same file again adds nothing: the conflict is recorded once
    size = len(history)
    again = import_labels(export, "SK", decisions, screening, now=LATER)
    assert again.conflicts == 0 and again.unchanged == 3
    assert len(read_store(decisions / "decisions.csv")) == size


def test_a_reviewer_changing_their_own_label_in_asreview_is_recorded(tmp_path):
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    export = asreview_export(dataset, {"30000001": 0}, tmp_path / "lab.csv")
    result = import_labels(export, "ab", decisions, screening, now=LATER)  # AB, any case
    assert result.excluded == 1 and result.conflicts == 0
    shown = displayed_decisions(read_store(decisions / "decisions.csv"))
    assert shown["30000001"].decision == "exclude" and shown["30000001"].reviewer == "ab"


def test_a_label_changed_back_in_asreview_is_recorded_each_time(tmp_path):
    """Later exports of the same project: each change of the reviewer's own label counts,
    also a change back to the label livescreen handed over."""
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    for n, (new, handed_over) in enumerate([(1, 0), (0, 1), (1, 0)]):
        export = asreview_export(
            dataset, {"30000004": new, "30000001": handed_over}, tmp_path / f"lab{n}.csv"
        )
        import_labels(export, "AB", decisions, screening, now=LATER + dt.timedelta(hours=n))
        shown = displayed_decisions(read_store(decisions / "decisions.csv"))
        expected = {1: "include", 0: "exclude"}
        assert shown["30000004"].decision == expected[new]
        assert shown["30000001"].decision == expected[handed_over]
        assert shown["30000001"].reviewer == "AB" and not conflict_notes(
            read_store(decisions / "decisions.csv")
        )


def test_a_decision_made_in_the_tables_after_the_hand_off_is_never_reverted(tmp_path):
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    # after the hand-off, AB changes 30000001 to exclude in the tables and decides 30000004
    append_to_store(
        decisions / "decisions.csv",
        [
            Decision("30000001", "exclude", "wrong population", "AB", source_file="t.csv"),
            Decision("30000004", "exclude", "not a trial", "AB", source_file="t.csv"),
        ],
        [],
        NOW + dt.timedelta(minutes=5),
    )
    # ASReview still holds 30000001's prior (include); the same reviewer labels 30000004
    export = asreview_export(dataset, {"30000004": 1}, tmp_path / "lab.csv")
    result = import_labels(export, "AB", decisions, screening, now=LATER)
    shown = displayed_decisions(read_store(decisions / "decisions.csv"))
    assert shown["30000001"].decision == "exclude"  # the prior is no news: not reverted
    assert result.conflicts == 1 and shown["30000004"].decision == ""  # which is later? ask


def test_an_unknown_record_id_stops_naming_file_and_row_and_records_nothing(tmp_path):
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    export = asreview_export(dataset, {"30000004": 1}, tmp_path / "lab.csv")
    lines = export.read_text(encoding="utf-8").splitlines()
    lines.insert(3, lines[2].replace("30000002", "39999999", 1))
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = store_bytes(decisions)
    with pytest.raises(AsreviewImportError, match=r"lab\.csv, row 4: record_id '39999999'"):
        import_labels(export, "SK", decisions, screening, now=LATER)
    assert store_bytes(decisions) == before
    assert (
        cli(
            [
                "asreview-import",
                str(export),
                "--reviewer",
                "SK",
                "--decisions",
                str(decisions),
                "--screening",
                str(screening),
            ]
        )
        == 1
    )
    assert store_bytes(decisions) == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda f: f.assign(
                asreview_label=f["asreview_label"]
                .astype(object)
                .where(f["record_id"].astype(str) != "30000004", "2")
            ),
            "label '2' is not 1",
        ),
        (
            lambda f: pd.concat(
                [f, f[f["record_id"].astype(str) == "30000004"].assign(asreview_label=0)]
            ),
            "labelled include here and exclude|labelled exclude here",
        ),
        (lambda f: f.drop(columns=["record_id"]), "no record_id column"),
        (
            lambda f: f.assign(
                record_id=f["record_id"]
                .astype(str)
                .where(f["record_id"].astype(str) != "30000004", "")
            ),
            "row 5: no record_id",
        ),
    ],
)
def test_a_file_that_cannot_be_trusted_records_nothing(tmp_path, edit, message):
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    export = asreview_export(dataset, {"30000004": 1}, tmp_path / "lab.csv")
    frame = pd.read_csv(export, dtype=str, keep_default_na=False, index_col=0)
    edit(frame).to_csv(export)
    before = store_bytes(decisions)
    with pytest.raises(AsreviewImportError, match=message):
        import_labels(export, "SK", decisions, screening, now=LATER)
    assert store_bytes(decisions) == before


def test_livescreen_s_own_dataset_is_not_an_export(tmp_path):
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    with pytest.raises(AsreviewImportError, match="not ASReview LAB's export"):
        import_labels(dataset, "SK", decisions, screening, now=LATER)


def test_xlsx_and_tsv_exports(tmp_path):
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    xlsx = asreview_export(dataset, {"30000004": 1, "30000006": 0}, tmp_path / "lab.xlsx")
    result = import_labels(xlsx, "SK", decisions, screening, now=LATER)
    assert (result.included, result.excluded, result.unchanged) == (1, 1, 3)
    entries = imported(decisions)
    assert {(e["record_id"], e["decision"]) for e in entries} == {
        ("30000004", "include"),
        ("30000006", "exclude"),
    }
    assert {e["source_file"] for e in entries} == {
        "ASReview LAB export lab.xlsx, row 5",
        "ASReview LAB export lab.xlsx, row 7",
    }
    tsv = asreview_export(dataset, {"30000004": 1, "30000006": 0}, tmp_path / "lab.tsv")
    assert import_labels(tsv, "SK", decisions, screening, now=LATER).unchanged == 5


def test_edits_saved_in_the_tables_are_recorded_first_and_compared(tmp_path, monkeypatch):
    """A table edit not yet harvested and a different ASReview label for the same record:
    both kept, as a conflict (the import runs the start-up harvest first)."""
    from livescreen.review import asreview_import

    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    calls = []

    def harvest(screening_, decisions_, now, known):
        append_to_store(
            Path(decisions_) / "decisions.csv",
            [Decision("30000004", "exclude", "not a trial", "AB", source_file="to_screen.csv")],
            [],
            now,
        )
        calls.append(now)
        return type("H", (), {"history": read_store(Path(decisions_) / "decisions.csv")})

    monkeypatch.setattr(asreview_import, "harvest", harvest)
    export = asreview_export(dataset, {"30000004": 1}, tmp_path / "lab.csv")
    result = import_labels(export, "SK", decisions, screening, now=LATER)
    assert calls and result.conflicts == 1
    history = read_store(decisions / "decisions.csv")
    assert (
        "exclude (to_screen.csv) vs include (ASReview LAB export lab.csv)"
        in (conflict_notes(history)["30000004"])
    )


# -- ASReview LAB itself, where installed ---------------------------------------------------


def asreview_python() -> str:
    for candidate in (
        os.environ.get("LIVESCREEN_ASREVIEW_PYTHON"),
        "/tmp/asreview-venv/bin/python",
    ):
        if candidate and Path(candidate).exists():
            probe = subprocess.run(
                [candidate, "-c", "import asreview.webapp.app"], capture_output=True, timeout=120
            )
            if probe.returncode == 0:
                return candidate
    pytest.skip("ASReview LAB is not installed ($LIVESCREEN_ASREVIEW_PYTHON)")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_asreview_lab_reads_the_dataset_and_its_export_comes_back(tmp_path, suffix):
    python = asreview_python()
    screening, decisions = project(tmp_path)
    dataset = export_dataset(tmp_path, screening)
    export = tmp_path / f"asreview_export{suffix}"
    labels = {"30000004": 1, "30000005": 0, "30000001": 0}
    done = subprocess.run(
        [
            python,
            str(ROOT / "tests" / "support" / "asreview_lab.py"),
            str(dataset),
            json.dumps(labels),
            str(export),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    read = json.loads(done.stdout.strip().splitlines()[-1])
    # ASReview read every record, with livescreen's decisions as its prior knowledge
    assert set(read) == {*(p["pmid"] for p in PUBLICATIONS), "NCT05837845"}
    assert {rid: r["prior"] for rid, r in read.items() if r["prior"] is not None} == {
        "30000001": 1,
        "30000002": 0,
        "NCT05837845": 1,
    }
    assert read["30000001"]["title"] == PUBLICATIONS[0]["title"]
    # the leading apostrophe livescreen puts before a formula-like cell stays in ASReview
    assert read["30000002"]["title"] == "'" + PUBLICATIONS[1]["title"]
    result = import_labels(export, "AB", decisions, screening, now=LATER)
    assert (result.included, result.excluded, result.conflicts) == (1, 2, 0)
    shown = displayed_decisions(read_store(decisions / "decisions.csv"))
    assert shown["30000004"].decision == "include" and shown["30000004"].reviewer == "AB"
    assert shown["30000005"].decision == "exclude" and shown["30000001"].decision == "exclude"
    assert import_labels(export, "AB", decisions, screening, now=LATER).unchanged == 5


# -- the workflow: the next run shows the imported decisions -----------------------------------


@pytest.mark.workflow
def test_the_next_run_shows_the_imported_decisions(tmp_path):
    import sys

    from tests.test_workflow import SNAPSHOT, copy_project, csv_rows, edit_csv_like_excel_in_europe
    from tests.test_workflow import snakemake as run

    workdir = copy_project(tmp_path)
    run(workdir, *SNAPSHOT)
    dataset = workdir / "results" / "exports" / "asreview_dataset.csv"
    rows = csv_rows(dataset)
    table = workdir / "results" / "screening" / "to_screen.csv"
    pmids = [r["pmid"] for r in csv_rows(table)]
    trials = [r["nct_id"] for r in csv_rows(workdir / "results/screening/registered_trials.csv")]
    assert [r["record_id"] for r in rows] == pmids + trials
    assert {r["label_included"] for r in rows} == {""}
    first, second, third = pmids[:3]
    # a reviewer's edit saved in the table, not yet seen by any run
    edit_csv_like_excel_in_europe(table, {first: {"decision": "include", "reviewer": "AB"}})
    export = asreview_export(dataset, {first: 0, second: 1, third: 0}, tmp_path / "lab.csv")
    done = subprocess.run(
        [sys.executable, "-m", "livescreen", "asreview-import", str(export), "--reviewer", "SK"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 included, 1 excluded, 0 unchanged" in done.stdout and "1 in conflict" in done.stdout
    run(workdir, *SNAPSHOT)
    shown = {r["pmid"]: r for r in csv_rows(table)}
    assert (shown[second]["decision"], shown[second]["reviewer"]) == ("include", "SK")
    assert (shown[third]["decision"], shown[third]["reviewer"]) == ("exclude", "SK")
    assert shown[third]["notes"] == "from ASReview LAB export lab.csv"
    assert shown[first]["decision"] == "" and "ASReview LAB export" in shown[first]["conflict"]
    labels = {r["record_id"]: r["label_included"] for r in csv_rows(dataset)}
    assert (labels[first], labels[second], labels[third]) == ("", "1", "0")
