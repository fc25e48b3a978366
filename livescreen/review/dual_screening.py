"""Independent dual screening: two or more named reviewers decide blind to each other, and a
record is decided when they agree or when a resolver decides.

With `reviewers: [AB, SK]` in config.yaml, each reviewer screens in their own views
(`results/screening/reviewers/<name>/`: the tables and a workbook showing only that
reviewer's decisions), stored under their name (`screener` in the decision store). The
shared tables then show the **final** decision: a decision entered in them (the resolver's,
or a settled disagreement), else the reviewers' decision when they all agree; when they
disagree it stays blank, the `conflict` column says who said what, and
`screening_conflicts.csv` lists it with each decision and reason. Agreement is reported as
Cohen's kappa for each pair of reviewers over the records both decided.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import combinations

from livescreen.review.decisions import Decision, current_decisions, displayed_decisions

SCREENING_CONFLICT_COLUMNS = [
    "record_id",
    "record_type",
    "title",
    "reviewer",
    "decision",
    "exclusion_reason",
    "notes",
]
FINAL = ("include", "exclude")  # `maybe` is not a screening outcome: it waits


def reviewer_decisions(history: list[dict], reviewers: Iterable[str]) -> dict[str, dict]:
    """reviewer -> {record id -> that reviewer's decision} (blank while their own views
    disagree with each other)."""
    return {name: displayed_decisions(history, name) for name in reviewers}


def final_decisions(
    history: list[dict], reviewers: list[str]
) -> tuple[dict[str, Decision], dict[str, str]]:
    """(record id -> the final decision shown in the shared tables, record id -> the
    disagreement note). A final entry (entered in the shared tables) wins; otherwise the
    reviewers' decision when every reviewer decided include or exclude the same way."""
    final = displayed_decisions(history)
    entered = current_decisions(history)
    own = reviewer_decisions(history, reviewers)
    notes = {}
    for record_id in {r for decisions in own.values() for r in decisions}:
        if record_id in entered:
            continue  # decided in the shared tables: the resolver's decision stands
        said = {name: own[name].get(record_id) for name in reviewers}
        verdicts = {name: d.decision if d else "" for name, d in said.items()}
        if all(v in FINAL for v in verdicts.values()) and len(set(verdicts.values())) == 1:
            agreed = next(iter(said.values()))
            reasons = sorted({d.exclusion_reason for d in said.values() if d.exclusion_reason})
            base = final.get(record_id) or Decision(record_id)
            final[record_id] = Decision(
                record_id,
                agreed.decision,
                "; ".join(reasons),
                " & ".join(reviewers),
                base.notes,
                extra=base.extra,
            )
        elif len({v for v in verdicts.values() if v in FINAL}) > 1:
            listed = ", ".join(f"{name}: {v or 'undecided'}" for name, v in verdicts.items())
            notes[record_id] = (
                f"reviewers disagree ({listed}): enter the final decision here to resolve; "
                "see screening_conflicts.csv"
            )
    return final, notes


def screening_conflicts(
    history: list[dict], reviewers: list[str], rows: Iterable[Mapping], notes: Mapping[str, str]
) -> list[dict]:
    """screening_conflicts.csv: one line per reviewer for each unresolved disagreement."""
    own = reviewer_decisions(history, reviewers)
    out = []
    for row in rows:
        record_id = row.get("record_id") or row.get("pmid") or row.get("nct_id")
        if record_id not in notes:
            continue
        for name in reviewers:
            decision = own[name].get(record_id) or Decision(record_id)
            out.append(
                {
                    "record_id": record_id,
                    "record_type": "registration" if row.get("nct_id") else "publication",
                    "title": row.get("title", ""),
                    "reviewer": name,
                    "decision": decision.decision,
                    "exclusion_reason": decision.exclusion_reason,
                    "notes": decision.notes,
                }
            )
    return out


def cohens_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two raters' labels for the same items (None when undefined)."""
    if not a or len(a) != len(b):
        return None
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def agreement(history: list[dict], reviewers: list[str], record_ids: Iterable[str]) -> dict:
    """Per reviewer: records decided; per pair: records both decided and Cohen's kappa."""
    ids = list(record_ids)
    own = reviewer_decisions(history, reviewers)

    def decided(name: str, record_id: str) -> str:
        d = own[name].get(record_id)
        return d.decision if d and d.decision else ""

    progress = {name: sum(bool(decided(name, r)) for r in ids) for name in reviewers}
    pairs = {}
    for first, second in combinations(reviewers, 2):
        both = [r for r in ids if decided(first, r) and decided(second, r)]
        kappa = cohens_kappa([decided(first, r) for r in both], [decided(second, r) for r in both])
        pairs[f"{first}–{second}"] = {"both": len(both), "kappa": kappa}
    return {"records": len(ids), "progress": progress, "pairs": pairs}


def agreement_lines(summary: dict) -> list[str]:
    """The run summary's lines on dual screening."""
    lines = [
        f"- dual screening: {name} decided {done} of {summary['records']}"
        for name, done in summary["progress"].items()
    ]
    for pair, figures in summary["pairs"].items():
        kappa = "n/a" if figures["kappa"] is None else f"{figures['kappa']:.2f}"
        lines.append(f"- agreement {pair}: Cohen's kappa {kappa} over {figures['both']} records")
    return lines
