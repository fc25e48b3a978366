"""Evaluate the record classifier against the labelled evaluation set (a plain CLI).

    python scripts/evaluate_classifier.py [--config config.yaml] [--data FILE ...]

Loads the vocabulary and essay_date from the config (validated as the workflow does), runs
livescreen.classify over tests/data/labelled_records.json, hard_cases.json and
registered_trials.json (or the --data files), and prints, for each file and for all together:
precision and recall of `highlight`, accuracy of `design`, `relation_to_established`,
`comparator` and `involves_mdma`, the confusion tables, and every record the classifier gets
wrong with its highlight_reason. Exit status 1 when highlight recall on all files is below 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livescreen.classify import load_vocabulary
from livescreen.config import load_config
from livescreen.evaluation import (
    EVALUATION_FILES,
    REGISTRY_DATES,
    evaluate,
    format_report,
    load_items,
    load_registry_dates,
)

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"), help="config file")
    parser.add_argument(
        "--data", nargs="+", default=[str(p) for p in EVALUATION_FILES], help="labelled JSON files"
    )
    parser.add_argument(
        "--registry-dates", default=str(REGISTRY_DATES), help="registration dates by NCT id"
    )
    parser.add_argument("--quiet", action="store_true", help="figures only, no tables or lists")
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
