"""Independent dual screening: reviewers decide blind, agreement decides, a resolver settles
disagreements, and kappa reports agreement."""

import datetime as dt

import pytest

from livescreen.review.decisions import Decision, append_to_store, read_store
from livescreen.review.dual_screening import agreement, cohens_kappa, final_decisions
from tests.test_living_loop import SNAPSHOT, edit, screening, store
from tests.test_workflow import copy_project, csv_rows, snakemake

TWO_REVIEWERS = (*SNAPSHOT, ".test/config/two-reviewers.yaml")  # reviewers: [AB, SK]

NOW = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)


def test_cohens_kappa_matches_a_worked_example():
    # 50 items: both include 20, both exclude 15, a include/b exclude 5, a exclude/b include 10
    a = ["include"] * 25 + ["exclude"] * 25
    b = ["include"] * 20 + ["exclude"] * 5 + ["include"] * 10 + ["exclude"] * 15
    assert cohens_kappa(a, b) == pytest.approx(0.4)  # po 0.7, pe 0.5
    assert cohens_kappa(["include"] * 3, ["include"] * 3) is None  # chance agreement is 1
    assert cohens_kappa([], []) is None


def test_agreement_decides_disagreement_waits_and_the_resolver_settles(tmp_path):
    path = tmp_path / "decisions.csv"
    entries = [
        Decision("1", "include", reviewer="AB", screener="AB"),
        Decision("1", "include", reviewer="SK", screener="SK"),
        Decision("2", "exclude", "population", screener="AB"),
        Decision("2", "include", screener="SK"),
        Decision("3", "exclude", "design", screener="AB"),  # SK has not decided yet
    ]
    append_to_store(path, entries, [], NOW)
    final, notes = final_decisions(read_store(path), ["AB", "SK"])
    assert final["1"].decision == "include" and final["1"].reviewer == "AB & SK"
    assert "2" not in final or final["2"].decision == ""
    assert "AB: exclude, SK: include" in notes["2"]
    assert "3" not in final and "3" not in notes
    append_to_store(path, [Decision("2", "exclude", "population", "PI")], [], NOW)
    final, notes = final_decisions(read_store(path), ["AB", "SK"])
    assert final["2"].decision == "exclude" and "2" not in notes
    figures = agreement(read_store(path), ["AB", "SK"], ["1", "2", "3"])
    assert figures["progress"] == {"AB": 3, "SK": 2}
    assert figures["pairs"]["AB–SK"]["both"] == 2


def test_two_reviewers_screen_blind_and_the_shared_tables_show_the_final_decision(tmp_path):
    (tmp_path / "project").mkdir()
    project = copy_project(tmp_path / "project")
    snakemake(project, *TWO_REVIEWERS)
    folder = screening(project)
    ab, sk = folder / "reviewers" / "AB", folder / "reviewers" / "SK"
    assert (ab / "screening.xlsx").exists() and (sk / "registered_trials.csv").exists()
    first, second = [r["pmid"] for r in csv_rows(ab / "to_screen.csv")][:2]
    edit(
        ab / "to_screen.csv",
        {
            first: {"decision": "include"},
            second: {"decision": "exclude", "exclusion_reason": "design"},
        },
    )
    edit(sk / "to_screen.csv", {first: {"decision": "include"}, second: {"decision": "include"}})
    snakemake(project, *TWO_REVIEWERS)
    shared = {r["pmid"]: r for r in csv_rows(folder / "to_screen.csv")}
    assert shared[first]["decision"] == "include"
    assert (
        shared[second]["decision"] == ""
        and "AB: exclude, SK: include" in shared[second]["conflict"]
    )
    # blind: each reviewer sees only their own decisions
    assert {r["pmid"]: r["decision"] for r in csv_rows(ab / "to_screen.csv")}[second] == "exclude"
    assert {r["pmid"]: r["decision"] for r in csv_rows(sk / "to_screen.csv")}[second] == "include"
    conflicts = csv_rows(folder / "screening_conflicts.csv")
    assert {(c["reviewer"], c["decision"]) for c in conflicts} == {
        ("AB", "exclude"),
        ("SK", "include"),
    }
    summary = (project / "results/runs/latest_summary.md").read_text()
    assert "AB decided 2 of" in summary and "Cohen's kappa" in summary
    # the resolver decides in the shared table
    edit(folder / "to_screen.csv", {second: {"decision": "exclude", "reviewer": "PI"}})
    snakemake(project, *TWO_REVIEWERS)
    shared = {r["pmid"]: r for r in csv_rows(folder / "to_screen.csv")}
    assert (shared[second]["decision"], shared[second]["conflict"]) == ("exclude", "")
    assert csv_rows(folder / "screening_conflicts.csv") == []
    assert store(project)[second].decision == "exclude"  # the final decision
    mine = {
        e["record_id"]: e["decision"]
        for e in read_store(project / "decisions/decisions.csv")
        if e["screener"] == "SK"
    }
    assert mine[second] == "include"  # each reviewer's own decision stays as they left it
