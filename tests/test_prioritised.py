"""The screening tables in priority order once the review has decisions to learn from."""

from livescreen.review.decisions import Decision
from livescreen.review.screening import prioritised, stopping_lines

TRIAL = "MDMA-assisted therapy versus prolonged exposure for PTSD: a randomised trial"
RAT = "Fear extinction in rats given MDMA"


def row(pmid, title, highlight="false", decision=""):
    return {
        "pmid": pmid,
        "title": title,
        "abstract": title,
        "keywords": "",
        "mesh": "",
        "highlight": highlight,
        "decision": decision,
    }


def test_undecided_records_follow_the_highlighted_best_first_and_decided_come_last():
    rows = [
        row("1", TRIAL, decision="include"),
        row("2", RAT, decision="exclude"),
        row("3", RAT + " and mice"),
        row("4", TRIAL + " in veterans"),
        row("5", "A highlighted trial of MDMA with CPT", highlight="true"),
    ]
    shown = {"1": Decision("1", "include"), "2": Decision("2", "exclude")}
    ordered, _ = prioritised(rows, [], shown, "priority")
    assert [r["pmid"] for r in ordered] == ["5", "4", "3", "1", "2"]
    by_id = {r["pmid"]: r for r in ordered}
    assert by_id["4"]["priority"] == "1" and by_id["1"]["priority"] == ""
    assert by_id["4"]["priority_reason"]  # its strongest terms
    newest, _ = prioritised([dict(r) for r in rows], [], shown, "newest")
    assert [r["pmid"] for r in newest] == ["1", "2", "3", "4", "5"]  # order kept, ranks shown
    assert {r["pmid"]: r["priority"] for r in newest}["4"] == "1"


def test_without_an_include_and_an_exclude_nothing_is_ranked_and_nothing_estimated():
    rows = [row("1", TRIAL, decision="include"), row("2", RAT)]
    ordered, _ = prioritised(rows, [], {"1": Decision("1", "include")}, "priority")
    assert [r["priority"] for r in ordered] == ["", ""]
    assert stopping_lines([], 2, None) == []


def test_the_stopping_rule_reports_recall_and_its_assumptions():
    history = [
        {
            "record_id": str(i),
            "decision": "include" if i < 2 else "exclude",
            "status": "decided",
            "screener": "",
            "exclusion_reason": "",
            "reviewer": "",
            "notes": "",
            "extra": "",
        }
        for i in range(40)
    ]
    lines = stopping_lines(history, 50, {"recall_target": 0.95, "confidence": 0.95})
    assert lines[0].startswith("- Stopping rule") and any("Assumes" in line for line in lines)
