"""Classifier speed before and after the cue pre-filter (issue #19), on the same records in
the same run, and a check that every output column of every record is the same.

    python benchmarks/bench_classify.py               # c0f8751 and 8eab571 vs the working tree
    python benchmarks/bench_classify.py --before HEAD
    python benchmarks/bench_classify.py --check-only    # outputs compared, nothing timed
    python benchmarks/bench_classify.py --step          # the classify step, 10,000 records

The default commits: c0f8751, the last with the classifier as one classify.py (the ~450
records/s of issue #19), and 8eab571, the package just before the pre-filter.

Each version of the classifier runs in its own fresh process: the working tree's from the
project root, an older commit's from a `git archive` of that commit's `livescreen/` and
`config.yaml` under /tmp/livescreen-bench (no git state is changed). Every process reads the
same records (a JSONL file built once from ../shared and the project's own data), classifies
them once untimed (imports, compiled patterns, caches warm), then REPEATS times timed; the
best run is its figure. The versions take turns, so a slow minute of the VM falls on all.

`--step` times the classify *step* instead: a JSONL file of 10,000 records (`--step-records`;
the MEDLINE records with abstracts repeated with new PMIDs, so no record is a copy of
another in the classification cache's eyes) read, classified and written as the workflow's
`classify` rule does. An older commit runs its own step as its scripts/classify.py did
(one process, every record classified); the working tree runs
`livescreen.classify.batch.classify_file` with 1 and with `--threads` worker processes
(the rule's `threads:`) and no cache, so every record is classified. Wall time, from the
start of the step's work to its output written (imports and the vocabulary excluded in
every version; the worker processes' start-up included).

Record sets (`--sets`, default medline-abstracts,ptsd):
  medline-abstracts  the real <PubmedArticle> records of ../shared/fixtures/medline that have
                     an abstract (the issue's "real MEDLINE records with abstracts")
  ptsd               van de Schoot 2017 (ASReview simulation data): 6,189 PTSD records with
                     titles and abstracts (records without an abstract included)
  all                every record of the equivalence corpus (below)

The equivalence corpus (checked unless --no-check) adds the MEDLINE records without
abstracts, the bundled snapshot, the evaluation sets, the synergy RIS files, the
ClinicalTrials.gov fixtures as registrations, and constructed variants of real abstracts
with MDMA and established-treatment words written in (so the comparison and combination
cues fire often). The outputs of every commit given with --before that has the current
classifier's columns are compared with the working tree's, record by record.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import random
import re
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCH_DIR = Path("/tmp/livescreen-bench")
REPEATS = 3
BEFORE = ("c0f8751", "8eab571")


# --------------------------------------------------------------------------- the records


def _first_module(*names: str):
    """The first of ``names`` that imports (modules are moving between packages)."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(f"none of {names} imports")


def medline_records() -> list[dict]:
    import _common

    pubmed_xml = _first_module("livescreen.parse.pubmed_xml", "livescreen.pubmed_xml")
    records = []
    for article in _common.fixture_articles():
        records.extend(pubmed_xml.iter_articles(_common.PROLOG + article + _common.EPILOG))
    return records


def snapshot_records() -> list[dict]:
    import _common

    pubmed_xml = _first_module("livescreen.parse.pubmed_xml", "livescreen.pubmed_xml")
    data = b"".join(_common.snapshot_articles())
    return list(pubmed_xml.iter_articles(_common.PROLOG + data + _common.EPILOG))


def evaluation_records() -> list[dict]:
    evaluation = _first_module("livescreen.classify.evaluation", "livescreen.evaluation")
    dates = evaluation.load_registry_dates()
    return [evaluation.record_from_labelled(i, dates) for i in evaluation.load_items()]


def ptsd_records() -> list[dict]:
    path = _common_shared() / "benchmarks/screening/asreview-simulation/van_de_Schoot_2017.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "pmid": None,
            "title": row["title"] or "",
            "abstract": row["abstract"] or "",
            "keywords": [k.strip() for k in (row["keywords"] or "").split(";") if k.strip()],
            "publication_types": [],
            "mesh": [],
            "pub_date": row["year"] or "",
        }
        for row in rows
    ]


def synergy_records() -> list[dict]:
    imports = _first_module("livescreen.sources.imports", "livescreen.imports")
    folder = _common_shared() / "benchmarks/screening/synergy"
    records = []
    for path in sorted(folder.glob("*.ris")):
        records.extend(imports.read_export(path))
    return records


def registration_records() -> list[dict]:
    registrations = _first_module("livescreen.parse.registrations", "livescreen.registry")
    from livescreen.classify import record_from_registration

    folder = _common_shared() / "fixtures/ctgov/aact"
    records = []
    for path in sorted(folder.glob("NCT*.json")):
        study = registrations.parse_study(json.loads(path.read_text(encoding="utf-8")))
        records.append(record_from_registration(study))
    return records


def _common_shared() -> Path:
    import _common

    return _common.SHARED


# Words written into real abstracts to make constructed variants that the comparison,
# combination and background cues read (a deterministic stand-in for MDMA trial abstracts).
_MDMA_WORDS = (
    "MDMA",
    "MDMA-assisted therapy",
    "3,4-methylenedioxymethamphetamine (MDMA)",
    "ecstasy",
    "midomafetamine",
    "MDMA-assisted psychotherapy",
)
_TREATMENT_WORDS = (
    "prolonged exposure",
    "PE",
    "cognitive processing therapy (CPT)",
    "CPT",
    "EMDR",
    "sertraline",
    "paroxetine",
    "trauma-focused CBT",
    "NET",
    "written exposure therapy",
    "SSRIs",
    "cognitive behavioural therapy",
)
_SWAPS = re.compile(
    r"\b(?:treatment|therapy|intervention|psychotherapy|medication|the drug|placebo"
    r"|control|usual care|counseling|counselling)\b",
    re.IGNORECASE,
)


def variant_records(base: list[dict], count: int, seed: int = 19) -> list[dict]:
    """``count`` records made from ``base`` abstracts by writing MDMA and treatment words
    in place of generic ones ("treatment", "therapy", "control"), deterministically."""
    rng = random.Random(seed)
    with_text = [r for r in base if (r.get("abstract") or "").strip()]
    words = _MDMA_WORDS + _TREATMENT_WORDS
    out = []
    for i in range(count):
        record = dict(with_text[i % len(with_text)])

        def swap(match: re.Match[str]) -> str:
            return rng.choice(words) if rng.random() < 0.6 else match.group(0)

        record["title"] = _SWAPS.sub(swap, record.get("title") or "")
        record["abstract"] = _SWAPS.sub(swap, record.get("abstract") or "")
        if rng.random() < 0.3:
            record["publication_types"] = [
                rng.choice(
                    [
                        "Randomized Controlled Trial",
                        "Meta-Analysis",
                        "Review",
                        "Clinical Trial",
                        "Comment",
                        "Network Meta-Analysis",
                        "Clinical Trial Protocol",
                    ]
                )
            ]
        out.append(record)
    return out


SETS = ("medline-abstracts", "ptsd", "all")


def build_corpus() -> dict[str, list[dict]]:
    """Every record set, by name (the 'all' set is the equivalence corpus)."""
    medline = medline_records()
    ptsd = ptsd_records()
    parts = {
        "medline": medline,
        "snapshot": snapshot_records(),
        "evaluation": evaluation_records(),
        "ptsd": ptsd,
        "synergy": synergy_records(),
        "registrations": registration_records(),
    }
    parts["variants"] = variant_records(
        parts["snapshot"] + parts["evaluation"] + medline + ptsd, 8000
    )
    everything = [r for part in parts.values() for r in part]
    return {
        "medline-abstracts": [r for r in medline if (r.get("abstract") or "").strip()],
        "ptsd": ptsd,
        "all": everything,
        **{f"part:{k}": v for k, v in parts.items()},
    }


def write_sets(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, records in build_corpus().items():
        path = folder / f"{name.replace(':', '-')}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        paths[name] = path
    return paths


# --------------------------------------------------------------------------- a child process

CHILD = r"""
import gc, json, sys, time
root, records_path, out_path, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, root)
import yaml
from livescreen.classify import classify, load_vocabulary
config = yaml.safe_load(open(root + "/config.yaml", encoding="utf-8"))
vocabulary = load_vocabulary(config)
essay = config["essay_date"]
records = [json.loads(line) for line in open(records_path, encoding="utf-8")]
outputs = [classify(r, vocabulary, essay) for r in records]   # untimed: warm
times = []
gc.collect()
for _ in range(repeats):
    started = time.perf_counter()
    for r in records:
        classify(r, vocabulary, essay)
    times.append(time.perf_counter() - started)
if out_path != "-":
    with open(out_path, "w", encoding="utf-8") as out:
        for o in outputs:
            out.write(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n")
import livescreen.classify as package
print(json.dumps({"records": len(records), "seconds": times, "package": package.__file__}))
"""


STEP_CHILD = r"""
import json, sys, time
root, records_path, out_path, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, root)
import yaml
config = yaml.safe_load(open(root + "/config.yaml", encoding="utf-8"))
try:
    from livescreen.classify.batch import classify_file
except ImportError:
    classify_file = None
if classify_file is None or threads == 0:  # the step as an older scripts/classify.py ran it
    from livescreen.classify import classify, load_vocabulary
    try:
        from livescreen.files import iter_jsonl, write_jsonl
    except ImportError:
        from livescreen.tables import iter_jsonl, write_jsonl
    vocabulary = load_vocabulary(config)
    started = time.perf_counter()
    def classified():
        for record in iter_jsonl(records_path):
            record.update(classify(record, vocabulary, config["essay_date"]))
            yield record
    write_jsonl(out_path, classified())
else:
    # as rules/common.smk's classification_settings() gives them
    settings = {
        "essay_date": config["essay_date"],
        "vocabulary": config.get("vocabulary", {}),
        "mechanism_instruments": config.get("mechanism_instruments"),
        "keywords": [{"slug": k["slug"]} for k in config.get("keywords") or []],
    }
    started = time.perf_counter()
    classify_file(records_path, out_path, settings, threads=threads, cache=None)
seconds = time.perf_counter() - started
count = sum(1 for line in open(out_path, encoding="utf-8") if line.strip())
print(json.dumps({"records": count, "seconds": seconds}))
"""


def run_step(root: Path, records: Path, out: Path, threads: int) -> dict:
    return _run(STEP_CHILD, root, [records, out, threads], "classify step")


def step_records(source: Path, target: Path, count: int) -> Path:
    """``count`` records from ``source`` repeated with new PMIDs (and DOIs dropped)."""
    import _common

    base = [json.loads(line) for line in open(source, encoding="utf-8")]
    with open(target, "w", encoding="utf-8") as out:
        for i in range(count):
            record = dict(base[i % len(base)])
            record["pmid"] = str(_common.FIRST_SYNTHETIC_PMID + i)
            record["doi"] = None
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return target


def time_step(versions, folder: Path, args) -> dict:
    """The classify step of each version on the same file, taking turns; best of rounds."""
    records = step_records(
        folder / "medline-abstracts.jsonl", folder / "step-records.jsonl", args.step_records
    )
    runs = []
    for label, root in versions:
        if label == "working tree":
            runs += [
                (f"working tree, {n} process{'es' if n > 1 else ''}", root, n)
                for n in sorted({1, args.threads})
            ]
        else:
            runs.append((label, root, 0))
    best: dict[str, float] = {}
    others: list[float] = []
    outputs: dict[str, Path] = {}
    for _ in range(args.rounds):
        for index, (label, root, threads) in enumerate(runs):
            out = outputs[label] = folder / f"step-out-{index}.jsonl"
            result = run_step(root, records, out, threads)
            best[label] = min(best.get(label, float("inf")), result["seconds"])
            if result["others_cpu_share"] is not None:
                others.append(result["others_cpu_share"])
    count = args.step_records
    issue = best[runs[0][0]] if runs[0][2] == 0 else None
    print(
        f"classify step: {count:,} records (MEDLINE records with abstracts, new PMIDs), best of"
        f" {args.rounds} (others used up to {max(others, default=0):.0%} of the CPU)"
    )
    print(f"  {'version':28} {'s':>8} {'records/s':>10} {'x first':>8}")
    rows = {}
    for label, _root, _threads in runs:
        rate = count / best[label]
        ratio = "" if issue is None else f"{issue / best[label]:8.2f}"
        rows[label] = {"seconds": round(best[label], 3), "records_per_s": round(rate, 1)}
        print(f"  {label:28} {best[label]:8.3f} {rate:10,.0f} {ratio}")
    # the same file out whatever the number of processes (older versions write other columns)
    texts = {outputs[label].read_bytes() for label, _, threads in runs if threads}
    same = len(texts) == 1
    print(f"  working tree's output byte-identical with 1 and {args.threads} processes: {same}")
    return {
        "records": count,
        "versions": rows,
        "identical": same,
        "others_max": max(others, default=None),
    }


def run_child(root: Path, records: Path, out: Path | None, repeats: int) -> dict:
    return _run(CHILD, root, [records, out or "-", repeats], "classify")


def _run(code: str, root: Path, args: list, what: str) -> dict:
    """Run a child script with a version's root, in a fresh process; its last line's JSON,
    with the CPU share other processes took meanwhile."""
    import _common

    with _common.CpuMeter() as meter:
        done = subprocess.run(
            [sys.executable, "-c", code, str(root), *map(str, args)],
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"},
        )
    if done.returncode != 0:
        raise RuntimeError(f"{root}: {what} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["others_cpu_share"] = meter.others
    return result


def archive(commit: str) -> tuple[Path, str]:
    """The commit's livescreen/ and config.yaml, unpacked once under BENCH_DIR."""
    import _common

    sha = subprocess.run(
        ["git", "rev-parse", "--short", commit],
        cwd=_common.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    target = BENCH_DIR / f"classify-{sha}"
    if not (target / "config.yaml").exists():
        data = subprocess.run(
            ["git", "archive", "--format=tar", sha, "livescreen", "config.yaml"],
            cwd=_common.ROOT,
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(target, filter="data")
    return target, sha


def compare(before: Path, after: Path) -> tuple[int, list[tuple[int, str]]]:
    """(records compared, [(line, column) that differ])."""
    differ = []
    count = 0
    with open(before, encoding="utf-8") as a, open(after, encoding="utf-8") as b:
        for line, (x, y) in enumerate(zip(a, b, strict=True), start=1):
            count += 1
            if x != y:
                old, new = json.loads(x), json.loads(y)
                differ += [
                    (line, k) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
                ]
    return count, differ


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    import _common

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--before", action="append", help=f"commit(s) to compare (default {', '.join(BEFORE)})"
    )
    parser.add_argument(
        "--sets",
        default="medline-abstracts,ptsd",
        help=f"record sets to time, comma-separated, of {SETS}",
    )
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--rounds", type=int, default=2, help="turns each version takes")
    parser.add_argument("--check-only", action="store_true", help="compare outputs, time nothing")
    parser.add_argument("--no-check", action="store_true", help="time only")
    parser.add_argument("--json", type=Path, help="keep the figures in this file")
    parser.add_argument("--step", action="store_true", help="time the classify step instead")
    parser.add_argument("--step-records", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=2, help="worker processes (--step)")
    args = parser.parse_args(argv)
    befores = args.before or list(BEFORE)

    _common.print_machine("classifier speed: the cue pre-filter, before and after")
    folder = BENCH_DIR / "classify-records"
    paths = write_sets(folder)
    for name, path in paths.items():
        with open(path, encoding="utf-8") as handle:
            print(f"set {name:22} {sum(1 for _ in handle):6,} records  ({path})")
    versions = [("working tree", _common.ROOT)]
    for commit in befores:
        root, sha = archive(commit)
        versions.insert(len(versions) - 1, (sha, root))
    print()

    figures: dict = {"machine": _common.machine(), "sets": {}, "check": {}}
    if args.step:
        figures["step"] = time_step(versions, folder, args)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, default=str))
        return 0
    if not args.no_check:
        after_out = folder / "out-after.jsonl"
        run_child(_common.ROOT, paths["all"], after_out, 0)
        for label, root in versions[:-1]:
            before_out = folder / f"out-{label}.jsonl"
            run_child(root, paths["all"], before_out, 0)
            with open(before_out, encoding="utf-8") as a, open(after_out, encoding="utf-8") as b:
                if set(json.loads(a.readline())) != set(json.loads(b.readline())):
                    print(f"check {label}: other output columns (older classifier), not compared")
                    continue
            count, differ = compare(before_out, after_out)
            columns = sorted({c for _, c in differ})
            records = len({line for line, _ in differ})
            figures["check"][label] = {"records": count, "differ": records, "columns": columns}
            verdict = "identical" if not differ else f"{records} differ in {columns}"
            print(f"check {label} vs working tree: {count:,} records, every column: {verdict}")
        print()
    if args.check_only:
        return 0

    for name in args.sets.split(","):
        best: dict[str, float] = {}
        others: list[float] = []
        records = 0
        for _ in range(args.rounds):
            for label, root in versions:
                result = run_child(root, paths[name], None, args.repeats)
                records = result["records"]
                best[label] = min(best.get(label, float("inf")), *result["seconds"])
                if result["others_cpu_share"] is not None:
                    others.append(result["others_cpu_share"])
        after = records / best["working tree"]
        print(
            f"set {name}: {records:,} records, best of {args.rounds} x {args.repeats} runs"
            f" (others used up to {max(others, default=0):.0%} of the CPU)"
        )
        print(f"  {'version':14} {'s':>8} {'records/s':>10} {'x':>7}")
        rows = {}
        for label, _root in versions:
            rate = records / best[label]
            rows[label] = {"seconds": round(best[label], 3), "records_per_s": round(rate, 1)}
            print(
                f"  {label:14} {best[label]:8.3f} {rate:10,.0f} {after / rate:7.2f}"
                + ("" if label == "working tree" else "  (working tree / this)")
            )
        figures["sets"][name] = {
            "records": records,
            "versions": rows,
            "others_max": max(others, default=None),
        }
        print()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
