"""Evaluate livescreen.classify against hand-labelled records.

The evaluation set lives in ``tests/data``: ``labelled_records.json`` (real records with
gold labels, copied from ``../shared/data``; see ``tests/data/PROVENANCE.md``),
``hard_cases.json`` (records constructed for testing, marked ``"constructed": true``) and
``registry_dates.json`` (registration dates of the labelled trial registrations, joined by
NCT id the way registry records reach the classifier) and ``registered_trials.json`` (real
ClinicalTrials.gov registrations with gold ``highlight`` and ``relation_to_established``,
read through ``record_from_registration``).

Public API
----------
``record_from_labelled(item, registry_dates=None) -> dict``
    A labelled item as the parser's record dict (``summary`` -> ``abstract``; missing keys
    empty), with ``registration_date``/``start_date`` joined from ``registry_dates``.
``load_items(paths) -> list[dict]``
    The labelled items of several JSON files, each tagged with the file it came from.
``evaluate(items, vocabulary, essay_date, registry_dates=None) -> dict``
    Precision and recall of ``highlight``; accuracy of ``design``,
    ``relation_to_established``, ``comparator`` and ``involves_mdma``; confusion tables; and
    every disagreement with the classifier's reason.
``format_report(result) -> str``
    The result as plain text (what ``livescreen evaluate`` prints).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .classify import Vocabulary, classify, record_from_registration
from .pubmed_xml import RECORD_KEYS

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"
EVALUATION_FILES = (
    DATA_DIR / "labelled_records.json",
    DATA_DIR / "hard_cases.json",
    DATA_DIR / "registered_trials.json",
)
REGISTRY_DATES = DATA_DIR / "registry_dates.json"

_LIST_KEYS = {
    "authors",
    "publication_types",
    "mesh",
    "mesh_major",
    "keywords",
    "language",
    "nct_ids",
    "retraction_notices",
    "errata",
    "republished_in",
    "expression_of_concern",
}
_EXTRA_KEYS = ("registration_date", "first_posted", "start_date")
SCORED = (
    "design",
    "relation_to_established",
    "comparator",
    "involves_mdma",
    "new_since_essay",
    "retracted",
)


def record_from_labelled(
    item: Mapping[str, Any], registry_dates: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """A labelled item as a parser record (RECORD_KEYS, plus registration dates if known).

    A registration item (registered_trials.json: ``nct_id`` and ``arms``) goes through
    :func:`livescreen.classify.record_from_registration`, its interventions joined to arms.
    """
    if "nct_id" in item and "arms" in item:
        return record_from_registration({**item, "arms": _arms_with_interventions(item)})
    record: dict[str, Any] = {}
    for key in RECORD_KEYS:
        value = item.get(key)
        if key in _LIST_KEYS:
            value = list(value or [])
        elif key in {"title", "abstract", "journal", "journal_title", "pub_date"}:
            value = value or ""
        record[key] = value
    record["abstract"] = item.get("abstract") or item.get("summary") or ""
    record["retracted"] = bool(
        item.get("retracted")
        or record["retraction_notices"]
        or "Retracted Publication" in record["publication_types"]
    )
    for key in _EXTRA_KEYS:
        if item.get(key):
            record[key] = item[key]
    for nct in record["nct_ids"]:
        for key, value in (registry_dates or {}).get(nct, {}).items():
            if key in _EXTRA_KEYS and value and key not in record:
                record[key] = value
    return record


def _arms_with_interventions(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    arms = []
    for arm in item.get("arms") or []:
        names = [
            i.get("name")
            for i in item.get("interventions") or []
            if arm.get("label") in (i.get("arms") or [])
        ]
        arms.append({**arm, "interventions": [n for n in names if n]})
    return arms


def load_items(paths: Iterable[str | Path] = EVALUATION_FILES) -> list[dict[str, Any]]:
    items = []
    for path in paths:
        for index, item in enumerate(json.loads(Path(path).read_text(encoding="utf-8"))):
            items.append({**item, "_file": Path(path).name, "_index": index})
    return items


def load_registry_dates(path: str | Path = REGISTRY_DATES) -> dict[str, dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {nct: facts for nct, facts in data["trials"].items()}


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def evaluate(
    items: Iterable[Mapping[str, Any]],
    vocabulary: Vocabulary,
    essay_date: str,
    registry_dates: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Score classify() against the gold labels of ``items``."""
    counts = Counter()
    correct = Counter()
    confusion: dict[str, Counter] = {field: Counter() for field in (*SCORED, "highlight")}
    disagreements = []
    items = list(items)
    for item in items:
        gold = item["gold"]
        got = classify(record_from_labelled(item, registry_dates), vocabulary, essay_date)
        wrong = []
        for field in (*SCORED, "highlight"):
            if field not in gold:
                continue
            counts[field] += 1
            confusion[field][(str(gold[field]), str(got[field]))] += 1
            if gold[field] == got[field]:
                correct[field] += 1
            else:
                wrong.append(field)
        if wrong:
            disagreements.append(
                {
                    "id": _item_id(item),
                    "title": item.get("title") or "",
                    "fields": {f: {"gold": gold[f], "got": got[f]} for f in wrong},
                    "why": gold.get("why", ""),
                    "reason": got["highlight_reason"],
                }
            )
    table = confusion["highlight"]
    tp, fp = table[("True", "True")], table[("False", "True")]
    fn, tn = table[("True", "False")], table[("False", "False")]
    return {
        "records": len(items),
        "highlight": {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
        },
        "accuracy": {field: _ratio(correct[field], counts[field]) for field in SCORED},
        "confusion": {field: dict(table) for field, table in confusion.items()},
        "disagreements": disagreements,
    }


def _item_id(item: Mapping[str, Any]) -> str:
    ident = (
        item.get("pmid")
        or item.get("nct_id")
        or (item.get("nct_ids") or [None])[0]
        or item.get("doi")
    )
    where = f"{item.get('_file', '?')}#{item.get('_index', '?')}"
    return f"{where} ({ident})" if ident else where


def _format_confusion(name: str, table: Mapping[tuple[str, str], int]) -> list[str]:
    labels = sorted({g for g, _ in table} | {p for _, p in table})
    width = max([len(label) for label in labels] + [len("gold \\ got")]) + 2
    lines = [f"{name} (rows gold, columns classifier):"]
    lines.append("gold \\ got".ljust(width) + "".join(label[:12].rjust(13) for label in labels))
    for gold in labels:
        row = "".join(str(table.get((gold, got), "") or ".").rjust(13) for got in labels)
        lines.append(gold.ljust(width) + row)
    return lines


def format_report(result: Mapping[str, Any]) -> str:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    h = result["highlight"]
    acc = result["accuracy"]
    lines = [
        f"records evaluated: {result['records']}",
        f"highlight: precision {pct(h['precision'])}  recall {pct(h['recall'])}  "
        f"(tp {h['tp']}, fp {h['fp']}, fn {h['fn']}, tn {h['tn']})",
        f"design accuracy: {pct(acc['design'])}",
        f"relation_to_established accuracy: {pct(acc['relation_to_established'])}",
    ]
    if acc["comparator"] is not None:
        lines.append(
            f"comparator accuracy: {pct(acc['comparator'])} (gold labels say 'other' for a "
            "waitlist; the classifier says 'waitlist')"
        )
    for field in ("involves_mdma", "new_since_essay", "retracted"):
        if acc[field] is not None:
            lines.append(f"{field} accuracy: {pct(acc[field])}")
    lines.append("")
    for field in ("highlight", "design", "relation_to_established", "comparator"):
        lines += _format_confusion(field, result["confusion"][field]) + [""]
    lines.append(f"disagreements ({len(result['disagreements'])}):")
    for item in result["disagreements"]:
        fields = ", ".join(
            f"{f}: gold {v['gold']!r}, got {v['got']!r}" for f, v in item["fields"].items()
        )
        lines += [
            f"- {item['id']} {item['title'][:90]}",
            f"    {fields}",
            f"    gold why: {item['why']}",
            f"    reason:   {item['reason']}",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`livescreen evaluate`: print the classifier's figures on the evaluation set."""
    parser = argparse.ArgumentParser(
        prog="livescreen evaluate", description="Evaluate the classifier on the labelled set."
    )
    parser.add_argument("--config", default="config.yaml", help="config file")
    parser.add_argument(
        "--data", nargs="+", default=[str(p) for p in EVALUATION_FILES], help="labelled JSON files"
    )
    parser.add_argument(
        "--registry-dates", default=str(REGISTRY_DATES), help="registration dates by NCT id"
    )
    parser.add_argument("--quiet", action="store_true", help="figures only, no tables or lists")
    args = parser.parse_args(argv)

    from .classify import load_vocabulary
    from .config import load_config

    config = load_config(args.config)
    vocabulary = load_vocabulary(config)
    essay_date = config["essay_date"]
    dates = load_registry_dates(args.registry_dates) if args.registry_dates else {}

    print(f"config: {args.config}  essay_date: {essay_date}")
    print(f"vocabulary: {len(vocabulary.treatments)} established treatments\n")
    if len(args.data) > 1:
        for path in args.data:
            result = evaluate(load_items([path]), vocabulary, essay_date, dates)
            print(f"=== {Path(path).name}")
            print(_figures(format_report(result)) + "\n")
    result = evaluate(load_items(args.data), vocabulary, essay_date, dates)
    print("=== all files" if len(args.data) > 1 else f"=== {Path(args.data[0]).name}")
    report = format_report(result)
    print(_figures(report) if args.quiet else report)
    recall = result["highlight"]["recall"]
    return 0 if recall is None or recall >= 1.0 else 1


def _figures(report: str) -> str:
    """The report's figure lines (before the first blank line)."""
    return report.split("\n\n", 1)[0]
