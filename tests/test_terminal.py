"""The lines a run ends with: the summary on success, the one message that matters on error."""

import os
import time

from livescreen.terminal import failure_lines, success_lines


def test_success_names_the_summary_the_tables_and_the_counts(tmp_path):
    runs = tmp_path / "results" / "runs"
    runs.mkdir(parents=True)
    (runs / "latest_summary.md").write_text(
        "# livescreen run 2026-12-01T10:00:00Z\n\n- awaiting a decision: 7 of 9 publications\n"
        "- decision conflicts open: 1 (see results/screening/decision_conflicts.csv)\n\n| a |\n",
        encoding="utf-8",
    )
    text = success_lines(tmp_path / "results")
    lines = text.splitlines()
    assert lines[0] == "livescreen: livescreen run 2026-12-01T10:00:00Z — done"
    assert "  awaiting a decision: 7 of 9 publications" in lines
    assert any("decision_conflicts.csv" in line for line in lines)
    assert "latest_summary.md" in text and "screening.xlsx" in text
    assert len(lines) <= 12


def test_failure_shows_only_this_invocations_livescreen_errors(tmp_path):
    logs = tmp_path / "logs"
    (logs / "search").mkdir(parents=True)
    old = logs / "fetch.log"
    old.write_text("2026-11-30 10:00:00,000 ERROR livescreen: RemoteError: an old failure\n")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    (logs / "screening_tables.log").write_text(
        "2026-12-01 10:00:00,000 INFO livescreen: reading\n"
        "2026-12-01 10:00:01,000 ERROR livescreen: DecisionFileError: to_screen.csv, row 4 "
        "(record 123): decision 'yes' is not allowed\n"
    )
    text = failure_lines(logs, since=time.time() - 60)
    assert text.splitlines()[0] == "livescreen: the run stopped:"
    assert "to_screen.csv, row 4 (record 123): decision 'yes' is not allowed" in text
    assert "an old failure" not in text
