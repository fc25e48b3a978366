"""Deduplication benchmark: livescreen's deduplicator and bib-dedupe side by side, on
bib-dedupe's labelled sets in ../shared/benchmarks/dedup/bib-dedupe, in one run.

    pip install bib-dedupe                        # benchmark-only, not a dependency
    python benchmarks/bench_dedup.py              # the six sets that have records
    python benchmarks/bench_dedup.py --tool livescreen --json /tmp/dedup.json
    python benchmarks/bench_dedup.py --scale 100000   # deduplicate() time at 100,000 records

It prints the machine and the load, then `livescreen dedup-benchmark` (the same code, see
livescreen/dedup/benchmark.py for the metric), and the share of the CPU other processes
took while it ran. `--scale N` times `deduplicate` alone on N records made by repeating the
sets' records with altered titles and years (hard for blocking: every record has copies
that share its first title words), reporting candidate pairs and seconds.

Target (the issue): 0 false positives and sensitivity >= bib-dedupe's on every set, higher
overall.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

SETS = _common.SHARED / "benchmarks" / "dedup" / "bib-dedupe"
DATASETS = (
    "cytology_screening",
    "digital_work",
    "haematology",
    "respiratory",
    "stroke",
    "special_cases",
)
_common.LIBRARIES = (*_common.LIBRARIES, "bib-dedupe", "pandas")


def scale(count: int) -> None:
    from livescreen.dedup import deduplicate
    from livescreen.dedup.benchmark import read_dataset, row_to_record

    base = []
    for name in DATASETS[:-1]:
        rows, _ = read_dataset(SETS / name)
        base += [dict(row_to_record(r), record_id=f"{name}:{r['ID']}") for r in rows]
    words = "alpha beta gamma delta omega sigma kappa lambda theta zeta".split()
    records, copy = [], 0
    while len(records) < count:
        for r in base[: count - len(records)]:
            r = dict(r, record_id=f"{r['record_id']}:{copy}")
            if copy:
                r["title"] = f"{r['title']} {words[copy % 10]} {copy}"
                if str(r["year"]).isdigit():
                    r["year"] = str(int(r["year"]) + copy)
            records.append(r)
        copy += 1
    with _common.CpuMeter() as meter:
        started = time.perf_counter()
        result = deduplicate(records)
        seconds = time.perf_counter() - started
    print(
        f"scale    {count:,} records: {seconds:.1f} s, {result.stats['candidate_pairs']:,} "
        f"candidate pairs, {len(result.duplicates):,} clusters of duplicates, peak "
        f"{_common.peak_rss_mib():.0f} MiB; others used {meter.others:.0%} of the CPU"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tool",
        choices=("livescreen", "bib-dedupe", "livescreen+bib-dedupe", "both", "all"),
        default="all",
    )
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--scale", type=int, metavar="N", help="also time N records")
    args = parser.parse_args()
    if not SETS.is_dir():
        print(f"no benchmark sets at {SETS}", file=sys.stderr)
        return 1
    _common.print_machine("deduplication: livescreen and bib-dedupe")
    from livescreen.dedup.benchmark import main as benchmark

    argv = [str(SETS / name) for name in DATASETS] + ["--tool", args.tool]
    if args.json:
        argv += ["--json", args.json]
    before = _common.load()
    with _common.CpuMeter() as meter:
        code = benchmark(argv)
    after = _common.load()
    print(
        f"\nload     {_common.fmt_load(before)} -> {_common.fmt_load(after)}; others used "
        f"{meter.others:.0%} of the CPU{_common.load_warning(before, after, meter.others)}"
    )
    if args.scale:
        scale(args.scale)
    return code


if __name__ == "__main__":
    sys.exit(main())
