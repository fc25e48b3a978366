"""`livescreen dedup-benchmark` on a synthetic folder in bib-dedupe's format (no bib-dedupe
needed), and the metric against bib-dedupe's own counting rules."""

import csv
import json

import pytest

from livescreen.cli import main as cli
from livescreen.dedup.benchmark import rates, read_dataset, score
from livescreen.errors import LivescreenError

ROWS = [
    # ID, title, author, year, journal, volume, number, pages
    ("id_1", "MDMA-assisted therapy for PTSD: a phase 3 trial", "Mitchell, J M and Bogenschutz, M",
     "2021", "Nature Medicine", "27", "6", "1025-1033"),
    ("id_2", "MDMA-assisted therapy for PTSD: a phase 3 trial.", "Mitchell, Jennifer M. and "
     "Bogenschutz, Michael", "2021", "Nat Med", "27", "6", "1025-33"),
    ("id_3", "Prolonged exposure for PTSD in veterans", "Foa, E B", "2018", "JAMA", "319",
     "4", "354-364"),
    ("id_4", "Prolonged exposure for PTSD in veterans", "Foa, E. B.", "2018",
     "Journal of the American Medical Association", "319", "4", "354-64"),
    ("id_5", "Cognitive processing therapy: a review", "Resick, P A", "2017", "Psychol Bull",
     "12", "1", "1-10"),
    ("id_6", "Cognitive processing therapy in women", "Resick, P A", "2017", "Psychol Bull",
     "12", "2", "20-30"),
]  # fmt: skip


def write_dataset(folder, rows=ROWS, clusters=("id_1;id_2", "id_3;id_4")):
    folder.mkdir()
    with (folder / "records_pre_merged.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(["ID", "title", "author", "year", "journal", "volume", "number", "pages",
                         "ENTRYTYPE"])  # fmt: skip
        for row in rows:
            writer.writerow([*row, "article"])
    with (folder / "merged_record_ids.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["merged_ids"])
        for cluster in clusters:
            writer.writerow([cluster])
    return folder


def test_score_follows_bib_dedupes_counting():
    ids = ["a", "b", "c", "d", "e", "f"]
    truth = [["a", "b", "c"], ["d", "e"]]
    # a+b found, c missed; d+e+f merged (f is unique): one false positive
    counts = score(ids, truth, [["a", "b"], ["d", "e", "f"]])
    assert (counts["TP"], counts["FN"], counts["FP"], counts["TN"]) == (2, 1, 1, 2)
    assert (counts["pair_TP"], counts["pair_FP"], counts["pair_FN"]) == (2, 2, 2)
    # a cluster whose every record is removed (merged into a unique record kept instead)
    counts = score(["a", "b", "z"], [["b", "z"]], [["a", "b", "z"]])
    assert (counts["TP"], counts["FP"], counts["TN"]) == (1, 1, 1)
    r = rates({"TP": 9, "FP": 1, "FN": 1, "TN": 9})
    assert r["sensitivity"] == r["specificity"] == r["precision"] == r["f1"] == 0.9


def test_benchmark_command_on_a_synthetic_folder(tmp_path, capsys):
    first = write_dataset(tmp_path / "first")
    second = write_dataset(tmp_path / "second", rows=ROWS[:2], clusters=("id_1;id_2",))
    out_json = tmp_path / "figures.json"
    assert cli(["dedup-benchmark", str(first), str(second), "--tool", "livescreen",
                "--json", str(out_json)]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["dataset", "tool", "records"]
    rows = [line.split() for line in lines[1:3]]
    assert [r[:3] for r in rows] == [["first", "livescreen", "6"], ["second", "livescreen", "2"]]
    # first: two labelled pairs found, nothing merged falsely
    assert rows[0][3:7] == ["2", "0", "0", "4"]
    assert lines[-1] == (
        "overall livescreen: sensitivity 1.0000 specificity 1.0000 false_positives 0 "
        "false_negatives 0"
    )
    figures = json.loads(out_json.read_text())
    assert figures["overall"][0]["TP"] == 3 and len(figures["datasets"]) == 2


def test_summary_lines_put_livescreen_last(tmp_path, capsys, monkeypatch):
    import livescreen.dedup.benchmark as benchmark

    monkeypatch.setattr(benchmark, "run_bib_dedupe", lambda folder: ([], {"possible": 0,
                                                                        "related": 0}))  # fmt: skip
    folder = write_dataset(tmp_path / "set")
    assert cli(["dedup-benchmark", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("overall bib-dedupe: sensitivity 0.0000")
    assert lines[-1].startswith("overall livescreen: sensitivity 1.0000")
    assert [line.split()[1] for line in lines[1:3]] == ["bib-dedupe", "livescreen"]


def test_a_folder_not_in_the_format_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli(["dedup-benchmark", str(tmp_path / "empty"), "--tool", "livescreen"]) == 1
    assert "no records_pre_merged.csv" in capsys.readouterr().err
    bad = write_dataset(tmp_path / "bad", clusters=("id_1;id_9",))
    with pytest.raises(LivescreenError, match="IDs not in records_pre_merged.csv"):
        read_dataset(bad)
