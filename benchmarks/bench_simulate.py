"""Prioritised screening, simulated: livescreen's ranking model against ASReview's default
(ELAS u4) on the van de Schoot 2017 PTSD review, the same seeds and prior records, in one
run; and the stopping rule's reliability on the same screening orders.

    python benchmarks/bench_simulate.py --asreview-python /path/to/asreview-env/bin/python

asreview is not a livescreen dependency and cannot share livescreen's environment (it pins
pandas < 3 and rispy 0.9): make it an environment of its own,
``python -m venv /tmp/asreview-venv && /tmp/asreview-venv/bin/pip install asreview==3.0.8``.

Other modes:

``--dev DIR``
    The model-selection run behind livescreen's defaults: every ``*.csv`` in DIR (other
    SYNERGY reviews, made by ``--convert-synergy``), seeds 100-104, each candidate model;
    mean WSS@95 and loss per review and over all. No ASReview needed: the first
    candidate is ELAS u4's settings, which replay ASReview's own simulation exactly (see
    docs/benchmarks.md).
``--convert-synergy SRC DST``
    A SYNERGY dataset folder (``labels.csv`` and ``works_*.zip`` of OpenAlex works, as in
    the asreview/synergy-dataset repository's releases/v1 branch) as one CSV with
    record_id, title, abstract, mesh, doi and label_included.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import zipfile
from pathlib import Path

from _common import ROOT, SHARED, CpuMeter, fmt_load, load, print_machine

from livescreen.prioritise import metrics
from livescreen.prioritise.model import DEFAULT_CONFIG, ModelConfig
from livescreen.prioritise.simulate import (
    evaluate,
    load_dataset,
    priors_for_seed,
    replay,
    report,
    run,
    save,
    stop_table,
)

DATA = SHARED / "benchmarks" / "screening" / "asreview-simulation" / "van_de_Schoot_2017.csv"
TITLE_ABSTRACT = ("title", "abstract")
CANDIDATES = {
    "ELAS u4 settings, title+abstract": ModelConfig(fields=TITLE_ABSTRACT, index_terms=False),
    "ELAS u4, + keywords and MeSH as text": ModelConfig(index_terms=False),
    "ELAS u4, + keywords and MeSH as terms": ModelConfig(index_terms=True),
}
DEV_SEEDS = list(range(100, 105))
LIBRARIES = ("scikit-learn", "scipy", "numpy", "pandas", "matplotlib")


def convert_synergy(src: Path, dst: Path) -> int:
    labels = {}
    with open(src / "labels.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            labels[row["openalex_id"]] = int(row["label_included"])
    rows, seen = [], set()
    for archive in sorted(src.glob("works_*.zip")):
        with zipfile.ZipFile(archive) as zf:
            for name in sorted(zf.namelist()):
                for work in json.loads(zf.read(name)):
                    if work["id"] not in labels or work["id"] in seen:
                        continue
                    seen.add(work["id"])
                    index = work.get("abstract_inverted_index") or {}
                    words = sorted((p, w) for w, ps in index.items() for p in ps)
                    rows.append(
                        {
                            "record_id": work["id"].rsplit("/", 1)[-1],
                            "title": work.get("title") or "",
                            "abstract": " ".join(w for _, w in words),
                            "mesh": "; ".join(m["descriptor_name"] for m in work.get("mesh") or []),
                            "doi": (work.get("doi") or "").replace("https://doi.org/", ""),
                            "label_included": labels[work["id"]],
                        }
                    )
    with open(dst, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def dev(folder: Path) -> None:
    print_machine("livescreen model selection on other SYNERGY reviews")
    totals: dict[str, list[dict]] = {name: [] for name in CANDIDATES}
    for path in sorted(folder.glob("*.csv")):
        dataset = load_dataset(path)
        print(f"{dataset.name}: {dataset.labels.size} records, {dataset.n_includes} includes")
        for name, config in CANDIDATES.items():
            runs = [
                metrics.summary(
                    replay(
                        dataset, priors_for_seed(dataset.labels, s), config, seed=s
                    ).labels_after_priors(dataset.labels)
                )
                for s in DEV_SEEDS
            ]
            mean = {k: statistics.fmean(r[k] for r in runs) for k in ("wss95", "loss")}
            totals[name].append(mean)
            print(f"  {name:36s} WSS@95 {mean['wss95']:.3f} loss {mean['loss']:.3f}", flush=True)
    print("\nmean over the reviews:")
    for name, per in totals.items():
        print(
            f"  {name:36s} WSS@95 {statistics.fmean(p['wss95'] for p in per):.3f} "
            f"loss {statistics.fmean(p['loss'] for p in per):.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--asreview-python", help="interpreter with asreview installed")
    parser.add_argument("--no-asreview", action="store_true", help="livescreen only")
    parser.add_argument(
        "--keep-duplicates",
        action="store_true",
        help="keep rows flagged in duplicate_record_id (all 6,189 rows)",
    )
    parser.add_argument("--out", default=str(ROOT / "results" / "simulate"))
    parser.add_argument("--dev", type=Path, help="model selection on the CSVs in this folder")
    parser.add_argument("--convert-synergy", nargs=2, type=Path, metavar=("SRC", "DST"))
    args = parser.parse_args()
    if args.convert_synergy:
        print(f"{convert_synergy(*args.convert_synergy)} records")
        return 0
    if args.dev:
        dev(args.dev)
        return 0

    print_machine("livescreen simulate vs ASReview (prioritised screening)")
    from importlib import metadata

    print("ranking  " + ", ".join(f"{n} {metadata.version(n)}" for n in LIBRARIES) + "\n")
    sim_args = argparse.Namespace(
        data=args.data,
        seeds=args.seeds,
        label_column="label_included",
        compare=None if args.no_asreview else "asreview",
        asreview_python=args.asreview_python,
        keep_duplicates=args.keep_duplicates,
        recall_target=0.95,
        confidence=0.95,
        out=args.out,
    )
    before = load()
    with CpuMeter() as meter:
        outcome = run(sim_args)
    after = load()
    png, path = save(outcome, Path(args.out))
    lines = report(outcome, sim_args)
    print("\n".join(lines[:-1]))
    print(f"\nmodel: {DEFAULT_CONFIG}")
    print(
        f"load {fmt_load(before)} -> {fmt_load(after)}; other processes used "
        f"{meter.others:.0%} of the CPU while it ran; this run {meter.own_cpu:.0f} CPU s"
    )
    dataset = outcome["dataset"]
    for target in (0.9, 0.8):
        results = {
            name: evaluate(reps, dataset.labels, target, 0.95)
            for name, reps in outcome["replays"].items()
        }
        print()
        print("\n".join(stop_table(results, target, 0.95)))
    print(f"\nRecall curves: {png}; orders and figures: {path}")
    print(lines[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
