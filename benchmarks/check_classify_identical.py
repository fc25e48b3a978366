"""Check that the working tree's classifier gives byte-identical output to an older commit's.

    python benchmarks/check_classify_identical.py --before 7eafda2
    python benchmarks/check_classify_identical.py --before 7eafda2 --variants 30000

Independent of the test suite: each version classifies the same records in its own process
(the older one from a `git archive` of the commit, as benchmarks/bench_classify.py does),
every output is written as canonical JSON (sorted keys), and the two files are compared
line by line, byte for byte. The records:

- the equivalence corpus of bench_classify.py (MEDLINE fixtures, snapshot, evaluation
  items, van de Schoot 2017 PTSD records, synergy RIS, ClinicalTrials.gov registrations,
  8,000 constructed MDMA/treatment variants);
- ../shared/data: the labelled and snapshot records (``summary`` read as the abstract)
  and the registered trials as registrations;
- more constructed variants (another seed, ``--variants``), and *stress* copies of real
  abstracts: upper-cased, title-cased, with the letters that case folding treats specially
  (İ ı ſ K), en-dashes and parentheses written in, sentences run together;

and, separately, ``python -m livescreen evaluate``'s output, compared with ``cmp``.
Exit status 0 only when everything is identical.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
import bench_classify as bench  # noqa: E402

CHILD = r"""
import json, sys
root, records_path, out_path = sys.argv[1:4]
sys.path.insert(0, root)
import yaml
from livescreen.classify import classify, load_vocabulary
config = yaml.safe_load(open(root + "/config.yaml", encoding="utf-8"))
vocabulary = load_vocabulary(config)
with open(out_path, "w", encoding="utf-8") as out:
    for line in open(records_path, encoding="utf-8"):
        result = classify(json.loads(line), vocabulary, config["essay_date"])
        out.write(json.dumps(result, ensure_ascii=False, sort_keys=True) + "\n")
"""

# Letters that lower() or IGNORECASE read as ASCII (the pre-filters' special cases), dashes
# that normalise() rewrites, and the brackets that tokens are written with.
_ODD_PIECES = ("\u0130", "\u0131", "\u017f", "\u212a", "\u2013", "\u2010", "⟨", "⟩", "(", ")")


def shared_records() -> list[dict]:
    """../shared/data: labelled and snapshot records, and registrations as records."""
    from livescreen.classify import record_from_registration

    data = _common.SHARED / "data"
    records = []
    for name in ("labelled_records.json", "snapshot_records.json"):
        for item in json.loads((data / name).read_text(encoding="utf-8")):
            record = dict(item)
            record.setdefault("abstract", item.get("summary") or "")
            records.append(record)
    for trial in json.loads((data / "registered_trials.json").read_text(encoding="utf-8")):
        try:
            records.append(record_from_registration(trial))
        except Exception:  # a registration shape the converter does not read: skipped
            continue
    return records


def stress_records(base: list[dict], count: int, seed: int = 7) -> list[dict]:
    """Copies of real abstracts with case changed, special letters and brackets written in,
    and sentence breaks removed (deterministic)."""
    rng = random.Random(seed)
    with_text = [r for r in base if (r.get("abstract") or "").strip()]
    out = []
    for i in range(count):
        record = dict(with_text[i % len(with_text)])
        text = record.get("abstract") or ""
        how = i % 5
        if how == 0:
            text = text.upper()
        elif how == 1:
            text = text.title()
        elif how == 2:
            chars = list(text)
            for _ in range(max(1, len(chars) // 60)):
                chars.insert(rng.randrange(len(chars) + 1), rng.choice(_ODD_PIECES))
            text = "".join(chars)
        elif how == 3:
            text = text.replace(". ", " ").replace("\n", " ")
        else:
            text = text.replace("-", "\u2013").replace("i", rng.choice(("i", "\u0131")), 3)
        record["abstract"] = text
        if i % 7 == 0:
            record["title"] = (record.get("title") or "").upper()
        out.append(record)
    return out


def build(folder: Path, variants: int, stress: int) -> Path:
    corpus = bench.build_corpus()
    base = corpus["part:snapshot"] + corpus["part:evaluation"] + corpus["part:medline"]
    base += corpus["part:ptsd"]
    extra = shared_records()
    records = (
        corpus["all"]
        + extra
        + bench.variant_records(base, variants, seed=7)
        + stress_records(base, stress)
    )
    path = folder / "records.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    print(
        f"records: {len(corpus['all']):,} equivalence corpus + {len(extra)} shared/data"
        f" + {variants:,} variants + {stress:,} stress = {len(records):,}"
    )
    return path


def classify_with(root: Path, records: Path, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(records), str(out)],
        cwd=root,
        check=True,
        env={"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
    )


def evaluate_with(root: Path) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "livescreen", "evaluate", "--config", "config.yaml"],
        cwd=root,
        capture_output=True,
        check=True,
        env={"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the commit to compare with")
    parser.add_argument("--variants", type=int, default=20000)
    parser.add_argument("--stress", type=int, default=5000)
    args = parser.parse_args(argv)
    old_root, sha = bench.archive(args.before)
    with tempfile.TemporaryDirectory(prefix="classify-identical-") as tmp:
        folder = Path(tmp)
        records = build(folder, args.variants, args.stress)
        old_out, new_out = folder / "old.jsonl", folder / "new.jsonl"
        classify_with(old_root, records, old_out)
        classify_with(_common.ROOT, records, new_out)
        old_lines = old_out.read_bytes().splitlines()
        new_lines = new_out.read_bytes().splitlines()
        same_count = len(old_lines) == len(new_lines)
        pairs = zip(old_lines, new_lines, strict=False)  # a short file is reported below
        differ = [i for i, (a, b) in enumerate(pairs, 1) if a != b]
        print(
            f"classify {sha} vs working tree: {len(old_lines):,} / {len(new_lines):,} records,"
            f" {len(differ)} differ" + (f" (first lines {differ[:10]})" if differ else "")
        )
        old_eval, new_eval = evaluate_with(old_root), evaluate_with(_common.ROOT)
        eval_same = old_eval == new_eval
        print(
            f"livescreen evaluate {sha} vs working tree: {len(old_eval.splitlines())} lines,"
            f" {'identical' if eval_same else 'DIFFERENT'}"
        )
    ok = same_count and not differ and eval_same
    print("IDENTICAL" if ok else "NOT IDENTICAL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
