"""Evaluate livescreen.classify against hand-labelled records.

The evaluation set lives in ``livescreen/data/evaluation`` (package data):
``labelled_records.json`` (real records with gold labels, copied from ``../shared/data``;
see ``PROVENANCE.md`` there),
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

from livescreen.classify import Vocabulary, classify, mechanism_slugs, record_from_registration
from livescreen.columns import RECORD_KEYS, RECORD_LIST_FIELDS

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "evaluation"
# The evaluation sets, reported apart: real records never mix with constructed ones in a
# figure. "seen" records were looked at while the rules were written; "held out" records were
# written at the same time, assigned at random, and not looked at until the rules were done.
EVALUATION_SETS: tuple[tuple[str, tuple[Path, ...]], ...] = (
    ("real", (DATA_DIR / "labelled_records.json", DATA_DIR / "registered_trials.json")),
    ("constructed hard cases", (DATA_DIR / "hard_cases.json",)),
    ("constructed, seen", (DATA_DIR / "constructed_seen.json",)),
    ("constructed, held out", (DATA_DIR / "constructed_heldout.json",)),
)
EVALUATION_FILES = tuple(path for _, paths in EVALUATION_SETS for path in paths)
REGISTRY_DATES = DATA_DIR / "registry_dates.json"
# Mechanism gold labels of the files that predate the mechanism columns (by file and index).
MECHANISM_LABELS = DATA_DIR / "mechanism_labels.json"

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
        if key in RECORD_LIST_FIELDS:
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


def load_mechanism_labels(path: str | Path = MECHANISM_LABELS) -> dict[tuple[str, int], dict]:
    """Mechanism gold labels by (file name, index), for files whose items carry none."""
    path = Path(path)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        (name, int(index)): label
        for name, labels in data["files"].items()
        for index, label in labels.items()
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _mechanism_gold(
    item: Mapping[str, Any], labels: Mapping[tuple[str, int], Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The item's mechanism gold ({"measures": set of slugs, "analysis": str}), or None."""
    gold = item["gold"]
    if "mechanism_measures" in gold:
        return {
            "measures": set(gold["mechanism_measures"]),
            "analysis": gold.get("mechanism_analysis", ""),
        }
    label = labels.get((item.get("_file", ""), item.get("_index", -1)))
    if label is None:
        return None
    title = item.get("title") or item.get("official_title") or item.get("brief_title")
    if label.get("title") not in (title, item.get("nct_id")):
        raise ValueError(
            f"{MECHANISM_LABELS.name}: {item.get('_file')}#{item.get('_index')} is labelled for "
            f"{label.get('title')!r}, but the item is {title!r} (was the file reordered?)"
        )
    return {"measures": set(label["mechanism_measures"]), "analysis": label["mechanism_analysis"]}


def evaluate(
    items: Iterable[Mapping[str, Any]],
    vocabulary: Vocabulary,
    essay_date: str,
    registry_dates: Mapping[str, Mapping[str, Any]] | None = None,
    mechanism_labels: Mapping[tuple[str, int], Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Score classify() against the gold labels of ``items``.

    Mechanism measures are scored per keyword slug over (record, mechanism) pairs: a pair is a
    true positive when the gold labels and ``mechanism_measures`` both name the mechanism.
    Gold comes from the item (``gold.mechanism_measures``) or from ``mechanism_labels``
    (default: livescreen/data/evaluation/mechanism_labels.json); items with neither are not
    scored for it.
    """
    labels = load_mechanism_labels() if mechanism_labels is None else mechanism_labels
    counts: Counter = Counter()
    correct: Counter = Counter()
    confusion: dict[str, Counter] = {field: Counter() for field in (*SCORED, "highlight")}
    mechanism: dict[str, Counter] = {}
    mechanism_records = 0
    disagreements = []
    items = list(items)
    for item in items:
        gold = item["gold"]
        got = classify(record_from_labelled(item, registry_dates), vocabulary, essay_date)
        wrong = []
        fields: dict[str, dict[str, Any]] = {}
        for field in (*SCORED, "highlight"):
            if field not in gold:
                continue
            counts[field] += 1
            confusion[field][(str(gold[field]), str(got[field]))] += 1
            if gold[field] == got[field]:
                correct[field] += 1
            else:
                wrong.append(field)
                fields[field] = {"gold": gold[field], "got": got[field]}
        mech_gold = _mechanism_gold(item, labels)
        if mech_gold is not None:
            mechanism_records += 1
            found = set(mechanism_slugs(got.get("mechanism_measures", "")))
            for slug in mech_gold["measures"] | found:
                table = mechanism.setdefault(slug, Counter())
                table[
                    ("tp" if slug in found else "fn") if slug in mech_gold["measures"] else "fp"
                ] += 1
            if found != mech_gold["measures"]:
                fields["mechanism_measures"] = {
                    "gold": sorted(mech_gold["measures"]),
                    "got": got.get("mechanism_measures", ""),
                }
            counts["mechanism_analysis"] += 1
            if got.get("mechanism_analysis", "") == mech_gold["analysis"]:
                correct["mechanism_analysis"] += 1
            else:
                fields["mechanism_analysis"] = {
                    "gold": mech_gold["analysis"],
                    "got": got.get("mechanism_analysis", ""),
                }
        if fields:
            disagreements.append(
                {
                    "id": _item_id(item),
                    "title": item.get("title") or item.get("official_title") or "",
                    "fields": fields,
                    "why": gold.get("why", ""),
                    "reason": got["highlight_reason"],
                }
            )
    table = confusion["highlight"]
    tp, fp = table[("True", "True")], table[("False", "True")]
    fn, tn = table[("True", "False")], table[("False", "False")]
    total = Counter()
    for per in mechanism.values():
        total.update(per)
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
        "accuracy": {
            field: _ratio(correct[field], counts[field])
            for field in (*SCORED, "mechanism_analysis")
        },
        "mechanisms": {
            "records": mechanism_records,
            **_precision_recall(total),
            "per_mechanism": {
                slug: _precision_recall(per) for slug, per in sorted(mechanism.items())
            },
        },
        "confusion": {field: dict(table) for field, table in confusion.items()},
        "disagreements": disagreements,
    }


def _precision_recall(table: Mapping[str, int]) -> dict[str, Any]:
    tp, fp, fn = table.get("tp", 0), table.get("fp", 0), table.get("fn", 0)
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
    }


def _item_id(item: Mapping[str, Any]) -> str:
    ident = (
        item.get("pmid")
        or item.get("nct_id")
        or (item.get("nct_ids") or [None])[0]
        or item.get("doi")
        or item.get("key")
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


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_report(result: Mapping[str, Any]) -> str:
    pct = _pct
    h = result["highlight"]
    acc = result["accuracy"]
    mech = result["mechanisms"]
    lines = [
        f"records evaluated: {result['records']}",
        f"highlight: precision {pct(h['precision'])}  recall {pct(h['recall'])}  "
        f"(tp {h['tp']}, fp {h['fp']}, fn {h['fn']}, tn {h['tn']})",
        f"design accuracy: {pct(acc['design'])}",
        f"relation_to_established accuracy: {pct(acc['relation_to_established'])}",
    ]
    if mech["records"]:
        lines.append(
            f"mechanism measures: precision {pct(mech['precision'])}  recall "
            f"{pct(mech['recall'])}  (tp {mech['tp']}, fp {mech['fp']}, fn {mech['fn']}; "
            f"{mech['records']} records)"
        )
        lines.append(f"mechanism_analysis accuracy: {pct(acc['mechanism_analysis'])}")
    if acc["comparator"] is not None:
        lines.append(
            f"comparator accuracy: {pct(acc['comparator'])} (gold labels say 'other' for a "
            "waitlist; the classifier says 'waitlist')"
        )
    for field in ("involves_mdma", "new_since_essay", "retracted"):
        if acc[field] is not None:
            lines.append(f"{field} accuracy: {pct(acc[field])}")
    if mech["per_mechanism"]:
        lines.append("mechanism measures per mechanism (precision / recall; tp fp fn):")
        for slug, per in mech["per_mechanism"].items():
            lines.append(
                f"  {slug:<24} {pct(per['precision'])} / {pct(per['recall'])}"
                f"   {per['tp']} {per['fp']} {per['fn']}"
            )
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


def format_sets(results: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    """One line per evaluation set: the figures the README reports."""
    header = (
        "| set | records | highlight precision / recall | design acc. | relation acc. "
        "| mechanism precision / recall | mechanism_analysis acc. |"
    )
    lines = [header, "|---|---|---|---|---|---|---|"]
    for name, r in results:
        h, acc, mech = r["highlight"], r["accuracy"], r["mechanisms"]
        lines.append(
            f"| {name} | {r['records']} | {_pct(h['precision'])} / {_pct(h['recall'])} "
            f"({h['tp'] + h['fn']} highlights) | {_pct(acc['design'])} "
            f"| {_pct(acc['relation_to_established'])} "
            f"| {_pct(mech['precision'])} / {_pct(mech['recall'])} "
            f"| {_pct(acc['mechanism_analysis'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`livescreen evaluate`: print the classifier's figures, per evaluation set and in all."""
    parser = argparse.ArgumentParser(
        prog="livescreen evaluate", description="Evaluate the classifier on the labelled sets."
    )
    parser.add_argument("--config", default="config.yaml", help="config file")
    parser.add_argument(
        "--data",
        nargs="+",
        default=None,
        help="labelled JSON files, each scored as a set (default: the evaluation sets)",
    )
    parser.add_argument(
        "--registry-dates", default=str(REGISTRY_DATES), help="registration dates by NCT id"
    )
    parser.add_argument("--quiet", action="store_true", help="figures only, no tables or lists")
    args = parser.parse_args(argv)

    from livescreen.classify import load_vocabulary
    from livescreen.config import load_config

    config = load_config(args.config)
    vocabulary = load_vocabulary(config)
    essay_date = config["essay_date"]
    dates = load_registry_dates(args.registry_dates) if args.registry_dates else {}
    sets = (
        [(Path(path).name, (Path(path),)) for path in args.data]
        if args.data
        else [(name, paths) for name, paths in EVALUATION_SETS if all(p.exists() for p in paths)]
    )

    print(f"config: {args.config}  essay_date: {essay_date}")
    print(f"vocabulary: {len(vocabulary.treatments)} established treatments\n")
    results = []
    for name, paths in sets:
        result = evaluate(load_items(paths), vocabulary, essay_date, dates)
        results.append((name, result))
        print(f"=== {name} ({', '.join(p.name for p in paths)})")
        print(_figures(format_report(result)) + "\n")
    everything = [path for _, paths in sets for path in paths]
    result = evaluate(load_items(everything), vocabulary, essay_date, dates)
    print(format_sets([*results, ("all", result)]) + "\n")
    print("=== all sets")
    report = format_report(result)
    print(_figures(report) if args.quiet else report)
    recalls = [r["highlight"]["recall"] for _, r in results]
    return 0 if all(recall is None or recall >= 1.0 for recall in recalls) else 1


def _figures(report: str) -> str:
    """The report's figure lines (before the first blank line)."""
    return report.split("\n\n", 1)[0]
