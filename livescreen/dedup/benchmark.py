"""`livescreen dedup-benchmark DIR [DIR ...]`: livescreen's deduplicator and bib-dedupe side by
side, on the same labelled records, in one run.

Each DIR holds bib-dedupe's benchmark format:

* `records_pre_merged.csv` — one row per record: `ID`, `title`, `author` (BibTeX `A and B`),
  `year`, `journal`, `volume`, `number`, `pages`, `ENTRYTYPE`, optionally `booktitle`,
  `issue`, `doi`, `abstract`;
* `merged_record_ids.csv` — column `merged_ids`: one human-labelled duplicate cluster per row,
  its IDs joined by `;`. A record in no row is unique.

**Metrics** are bib-dedupe's own (`DedupeBenchmarker.compare_dedupe_id`, the code behind its
published `current_results.md`), so the figures compare with what it publishes. They count
*records*, not pairs: each cluster keeps one record (the smallest ID, as bib-dedupe's
`merge` keeps the first of its sorted cluster) and the others are removed. A unique record
kept is a true negative, removed a false positive; for each labelled cluster, none kept is
one false positive (and the rest true positives), otherwise one true negative, the extra kept
records false negatives and the removed ones true positives. Sensitivity = TP/(TP+FN),
specificity = TN/(TN+FP), precision = TP/(TP+FP), F1 their harmonic mean. The pair counts of
bib-dedupe's `compare` are printed beside them (`pair_fp`: pairs put together that are not
duplicates — a false merge of a record into a cluster of five is four false pairs; `pair_fn`:
labelled pairs left apart). ``possible`` pairs are never merged, so they count as not merged.

`--tool all` adds a third row per set, `livescreen+bib-dedupe`: the pipeline's deduplicator with
bib-dedupe as its second matcher (`livescreen.dedup.second_matcher`). `--tool bib-dedupe` and
`all` need `pip install "livescreen[bib-dedupe]"` (an optional dependency). Times
are wall-clock seconds of each tool's own steps on this machine (bib-dedupe: prep, block,
match, cluster, with its default worker processes; livescreen: reading the rows into
records and `deduplicate`), measured one after the other in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from livescreen.dedup import deduplicate
from livescreen.dedup.fields import split_author_list
from livescreen.dedup.second_matcher import as_bib_dedupe_rows, bib_dedupe_pairs
from livescreen.errors import LivescreenError

RECORDS_FILE = "records_pre_merged.csv"
LABELS_FILE = "merged_record_ids.csv"
TOOLS = ("bib-dedupe", "livescreen")
COMBINED = "livescreen+bib-dedupe"  # livescreen with bib-dedupe as its second matcher
ALL_TOOLS = ("bib-dedupe", COMBINED, "livescreen")
COUNTS = ("TP", "FP", "FN", "TN", "pair_TP", "pair_FP", "pair_FN", "possible", "related")


# -- the benchmark format ---------------------------------------------------------------------


def read_dataset(folder: str | Path) -> tuple[list[dict[str, str]], list[list[str]]]:
    """(rows of records_pre_merged.csv, labelled clusters) of one benchmark folder."""
    folder = Path(folder)
    records_path, labels_path = folder / RECORDS_FILE, folder / LABELS_FILE
    for path in (records_path, labels_path):
        if not path.is_file():
            raise LivescreenError(f"{folder}: no {path.name} (bib-dedupe's benchmark format)")
    csv.field_size_limit(sys.maxsize)
    with records_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "ID" not in rows[0]:
        raise LivescreenError(f"{records_path}: no ID column")
    with labels_path.open(encoding="utf-8-sig", newline="") as handle:
        labels = list(csv.DictReader(handle))
    if labels and "merged_ids" not in labels[0]:
        raise LivescreenError(f"{labels_path}: no merged_ids column")
    clusters = [row["merged_ids"].split(";") for row in labels if row.get("merged_ids")]
    ids = {row["ID"] for row in rows}
    if len(ids) != len(rows):
        raise LivescreenError(f"{records_path}: an ID is used twice")
    flat = [i for cluster in clusters for i in cluster]
    if len(flat) != len(set(flat)):
        raise LivescreenError(f"{labels_path}: an ID is in two clusters")
    unknown = sorted(set(flat) - ids)
    if unknown:
        raise LivescreenError(f"{labels_path}: IDs not in {RECORDS_FILE}: {unknown[:5]}")
    return rows, clusters


def _value(row: dict[str, str], *names: str) -> str:
    for name in names:
        value = (row.get(name) or "").strip()
        if value and value.upper() not in {"UNKNOWN", "NAN", "#NAME?"}:
            return value
    return ""


def row_to_record(row: dict[str, str]) -> dict[str, Any]:
    """A bib-dedupe benchmark row as a livescreen record (its fields, nothing added)."""
    entry_type = _value(row, "ENTRYTYPE").casefold()
    return {
        "record_id": row["ID"],
        "title": _value(row, "title"),
        "authors": split_author_list(_value(row, "author")),
        "year": _value(row, "year"),
        "journal": _value(row, "journal", "booktitle"),
        "booktitle": _value(row, "booktitle"),
        "volume": _value(row, "volume") or None,
        "issue": _value(row, "number", "issue") or None,
        "pages": _value(row, "pages") or None,
        "doi": _value(row, "doi") or None,
        "abstract": _value(row, "abstract"),
        "entry_type": entry_type,
    }


# -- the metric -------------------------------------------------------------------------------


def score(
    all_ids: Iterable[str], truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> dict[str, int]:
    """bib-dedupe's record counts (see the module doc) and its pair counts."""
    all_ids = list(all_ids)
    removed: set[str] = set()
    for cluster in predicted:
        members = sorted(cluster)
        removed.update(members[1:])
    kept = set(all_ids) - removed
    in_truth = {i for cluster in truth for i in cluster}
    counts = dict.fromkeys(("TP", "FP", "FN", "TN"), 0)
    for record_id in all_ids:
        if record_id not in in_truth:
            counts["TN" if record_id in kept else "FP"] += 1
    for cluster in truth:
        n_kept = sum(1 for i in cluster if i in kept)
        if n_kept == 0:
            counts["FP"] += 1
            counts["TP"] += len(cluster) - 1
        else:
            counts["TN"] += 1
            counts["FN"] += n_kept - 1
            counts["TP"] += len(cluster) - n_kept
    true_pairs = {tuple(sorted(p)) for c in truth for p in combinations(c, 2)}
    found_pairs = {tuple(sorted(p)) for c in predicted for p in combinations(c, 2)}
    counts["pair_TP"] = len(true_pairs & found_pairs)
    counts["pair_FP"] = len(found_pairs - true_pairs)
    counts["pair_FN"] = len(true_pairs - found_pairs)
    return counts


def rates(counts: dict[str, int]) -> dict[str, float]:
    tp, fp, fn, tn = (counts[k] for k in ("TP", "FP", "FN", "TN"))
    sensitivity = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * sensitivity / (precision + sensitivity) if precision + sensitivity else 0
    return {"sensitivity": sensitivity, "specificity": specificity, "precision": precision,
            "f1": f1}  # fmt: skip


# -- the tools --------------------------------------------------------------------------------


def run_livescreen(
    rows: list[dict[str, str]], second_matcher: bool = False
) -> tuple[list[list[str]], dict[str, Any]]:
    """livescreen's deduplicator on the rows; with `second_matcher`, as the pipeline runs it
    with `deduplicate: {second_matcher: bib-dedupe}` (the records converted back to
    bib-dedupe's columns, its duplicate calls checked by livescreen's rules)."""
    records = [row_to_record(row) for row in rows]
    pairs = ()
    if second_matcher:
        pairs = bib_dedupe_pairs(as_bib_dedupe_rows(records), cpu=-1)
    result = deduplicate(records, second_opinion=pairs)
    clusters = [list(c.record_ids) for c in result.duplicates]
    return clusters, {"possible": len(result.possible), "related": len(result.related),
                      "result": result}  # fmt: skip


def run_bib_dedupe(folder: Path) -> tuple[list[list[str]], dict[str, Any]]:
    try:
        import pandas as pd
        from bib_dedupe.bib_dedupe import block, cluster, match, prep
    except ImportError as error:
        raise LivescreenError(
            f"bib-dedupe is not installed ({error}); `pip install bib-dedupe` to compare "
            "(it is a benchmark-only tool), or pass --tool livescreen"
        ) from error
    records_df = pd.read_csv(folder / RECORDS_FILE)
    prepared = prep(records_df, verbosity_level=0)
    blocked = block(prepared, verbosity_level=0)
    matched = match(blocked, verbosity_level=0)
    clusters = cluster(matched, verbosity_level=0)
    maybe = 0
    if "duplicate_label" in matched.columns:
        maybe = int((matched["duplicate_label"] == "maybe").sum())
    return [list(map(str, c)) for c in clusters], {"possible": maybe, "related": 0}


def benchmark_dataset(folder: str | Path, tools: Sequence[str]) -> list[dict[str, Any]]:
    """One result row per tool for one benchmark folder."""
    folder = Path(folder)
    rows, truth = read_dataset(folder)
    all_ids = [row["ID"] for row in rows]
    out = []
    for tool in tools:
        started = time.perf_counter()
        if tool in {"livescreen", COMBINED}:
            predicted, extra = run_livescreen(rows, second_matcher=tool == COMBINED)
        else:
            predicted, extra = run_bib_dedupe(folder)
        seconds = time.perf_counter() - started
        counts = score(all_ids, truth, predicted)
        counts["possible"] = extra["possible"]
        counts["related"] = extra["related"]
        row = {"dataset": folder.name, "tool": tool, "records": len(rows), **counts,
               **rates(counts), "seconds": seconds}  # fmt: skip
        row["_predicted"] = predicted
        row["_truth"] = truth
        if "result" in extra:
            row["_result"] = extra["result"]
        out.append(row)
    return out


def overall(results: Sequence[dict[str, Any]], tool: str) -> dict[str, Any]:
    mine = [r for r in results if r["tool"] == tool]
    counts = {k: sum(r[k] for r in mine) for k in COUNTS}
    return {"dataset": "overall", "tool": tool, "records": sum(r["records"] for r in mine),
            **counts, **rates(counts), "seconds": sum(r["seconds"] for r in mine)}  # fmt: skip


# The table's columns: (heading, key, width and alignment, number format).
TABLE = [
    ("dataset", "dataset", "<20", ""), ("tool", "tool", "<21", ""),
    ("records", "records", ">7", ""), ("TP", "TP", ">5", ""), ("FP", "FP", ">3", ""),
    ("FN", "FN", ">4", ""), ("TN", "TN", ">6", ""),
    ("sensitivity", "sensitivity", ">11", ".4f"), ("specificity", "specificity", ">11", ".4f"),
    ("F1", "f1", ">6", ".4f"), ("pair_FP", "pair_FP", ">7", ""),
    ("pair_FN", "pair_FN", ">7", ""), ("possible", "possible", ">8", ""),
    ("related", "related", ">7", ""), ("seconds", "seconds", ">8", ".2f"),
]  # fmt: skip
HEADER = " ".join(f"{heading:{width}}" for heading, _, width, _ in TABLE)


def format_row(r: dict[str, Any]) -> str:
    return " ".join(f"{r[key]:{width}{number}}" for _, key, width, number in TABLE)


def summary_line(r: dict[str, Any]) -> str:
    return (
        f"overall {r['tool']}: sensitivity {r['sensitivity']:.4f} specificity "
        f"{r['specificity']:.4f} false_positives {r['FP']} false_negatives {r['FN']}"
    )


def write_cases(folder: Path, row: dict[str, Any], records: dict[str, dict[str, str]]) -> None:
    """The false merges and missed pairs of one tool on one set, for reading (not tuning
    on sets kept for measuring)."""
    folder.mkdir(parents=True, exist_ok=True)
    truth = {tuple(sorted(p)) for c in row["_truth"] for p in combinations(c, 2)}
    found = {tuple(sorted(p)) for c in row["_predicted"] for p in combinations(c, 2)}
    fields = ("ID", "title", "author", "year", "journal", "booktitle", "volume", "number",
              "pages", "doi")  # fmt: skip
    for name, pairs in (("false_merges", found - truth), ("missed", truth - found)):
        path = folder / f"{row['dataset']}_{row['tool']}_{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["pair", *fields])
            for a, b in sorted(pairs):
                for record_id in (a, b):
                    record = records[record_id]
                    writer.writerow([f"{a};{b}", *((record.get(f) or "")[:200] for f in fields)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="livescreen dedup-benchmark",
        description="livescreen's deduplicator and bib-dedupe on bib-dedupe's labelled sets.",
    )
    parser.add_argument(
        "folders",
        nargs="+",
        metavar="DIR",
        help="folders with records_pre_merged.csv and merged_record_ids.csv",
    )
    parser.add_argument(
        "--tool",
        choices=("livescreen", "bib-dedupe", COMBINED, "both", "all"),
        default="both",
        help=f"both: bib-dedupe and livescreen; all: also {COMBINED} (livescreen with "
        "bib-dedupe as its second matcher, `deduplicate: {second_matcher: bib-dedupe}`)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--cases", metavar="DIR", help="write each tool's false merges and missed pairs as CSV"
    )
    args = parser.parse_args(argv)
    tools = {"both": TOOLS, "all": ALL_TOOLS}.get(args.tool, (args.tool,))
    results: list[dict[str, Any]] = []
    try:
        print(HEADER, flush=True)
        for folder in args.folders:
            rows = benchmark_dataset(folder, tools)
            for row in rows:
                print(format_row(row), flush=True)
                if args.cases:
                    records = {r["ID"]: r for r in read_dataset(folder)[0]}
                    write_cases(Path(args.cases), row, records)
            results.extend(rows)
    except LivescreenError as error:
        print(f"livescreen dedup-benchmark: {error}", file=sys.stderr)
        return 1
    totals = [overall(results, tool) for tool in tools]
    for total in totals:
        print(format_row(total))
    for total in totals:
        print(summary_line(total))
    if args.json:
        clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
        Path(args.json).write_text(json.dumps({"datasets": clean, "overall": totals}, indent=1))
    return 0
