"""Measure the fixes the profiles point to (benchmarks/_fixes.py, applied as monkeypatches)
before anyone changes livescreen/: speed with each fix added in turn, each in a fresh
process, and a check that the outputs stay identical (classify over the evaluation set in
tests/data and over the benchmark corpus; the parser's records over the corpus).

    python benchmarks/fix_experiments.py                     # 3,000 records classify, 10,000 parse
    python benchmarks/fix_experiments.py --classify-records 5000 --parse-records 30000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
import _fixes  # noqa: E402


def _digest(value) -> str:
    """Of the content (JSON), not of object identity: pickle would tell shared strings from
    equal copies, and records coming back from worker processes are copies."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


_WORKER: dict = {}


def _classify_one(record):
    from livescreen.classify import classify

    return classify(record, _WORKER["vocabulary"], _WORKER["essay_date"])


def child_classify(patches: list[str], corpus: str, processes: int = 1) -> None:
    _fixes.apply(patches)
    from livescreen.classify import classify, load_vocabulary
    from livescreen.config import load_config
    from livescreen.evaluation import load_items, load_registry_dates, record_from_labelled
    from livescreen.pubmed_xml import parse_articles

    config = load_config(_common.ROOT / "config.yaml")
    vocabulary = load_vocabulary(config)
    dates = load_registry_dates()
    labelled = [record_from_labelled(item, dates) for item in load_items()]
    records = parse_articles(corpus)
    started = time.perf_counter()
    if processes > 1:  # forked workers inherit the patched modules and the vocabulary
        from concurrent.futures import ProcessPoolExecutor

        _WORKER.update(vocabulary=vocabulary, essay_date=config["essay_date"])
        with ProcessPoolExecutor(processes) as pool:
            outputs = list(pool.map(_classify_one, records, chunksize=100))
    else:
        outputs = [classify(r, vocabulary, config["essay_date"]) for r in records]
    seconds = time.perf_counter() - started
    evaluation = [classify(r, vocabulary, config["essay_date"]) for r in labelled]
    print(
        json.dumps(
            {
                "patches": patches,
                "processes": processes,
                "records": len(records),
                "seconds": round(seconds, 3),
                "records_per_s": round(len(records) / seconds, 1),
                "digest_corpus": _digest(outputs),
                "digest_evaluation": _digest(evaluation),
                "evaluation_items": len(labelled),
            }
        )
    )


def child_parse(patches: list[str], corpus: str, repeat: int) -> None:
    _fixes.apply(patches)
    from lxml import etree

    from livescreen.pubmed_xml import iter_articles, parse_articles

    best = bare = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        count = 0
        for _event, elem in etree.iterparse(corpus, events=("end",), tag="PubmedArticle"):
            elem.findtext("MedlineCitation/PMID")
            count += 1
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
        bare = max(bare, count / (time.perf_counter() - started))
        started = time.perf_counter()
        count = sum(1 for _ in iter_articles(corpus))
        best = max(best, count / (time.perf_counter() - started))
    from livescreen.pubmed_xml import PubmedXmlError

    fixtures = []
    ncbi = sorted((_common.SHARED / "fixtures" / "ncbi").rglob("*.xml"))
    for path in [*_common._medline_files(), *ncbi]:
        try:
            fixtures.append(parse_articles(path))
        except PubmedXmlError as error:  # other formats (MedlineCitationSet, eSearchResult...)
            fixtures.append(str(error))
    print(
        json.dumps(
            {
                "patches": patches,
                "records": count,
                "records_per_s": round(best, 1),
                "lxml_bare_per_s": round(bare, 1),
                "ratio": round(best / bare, 3),
                "digest_corpus": _digest(list(iter_articles(corpus))),
                "digest_fixtures": _digest(fixtures),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classify-records", type=int, default=3000)
    parser.add_argument("--parse-records", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3, help="parser runs per process (best kept)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/livescreen-bench"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, corpus, *patches = args.child
        patches = [p for p in patches if p != "-"]
        if kind.startswith("classify"):  # "classify" or "classify:N" (N processes)
            child_classify(patches, corpus, int(kind.partition(":")[2] or 1))
        else:
            child_parse(patches, corpus, args.repeat)
        return

    info = _common.print_machine("fix experiments (monkeypatched fixes, livescreen/ unchanged)")
    mix = _common.corpus(
        args.workdir / f"mix_{args.classify_records}.xml",
        args.classify_records,
        articles=_common.fixture_articles() + _common.snapshot_articles(),
    )
    plain = _common.corpus(args.workdir / f"pubmed_{args.parse_records}.xml", args.parse_records)
    results = {"classify": [], "parse": []}
    for kind, corpus, patches in (
        ("classify", mix, _fixes.CLASSIFY),
        ("parse", plain, _fixes.PARSER),
    ):
        print(f"## {kind}: {corpus.name}")
        baseline = None
        plan = [(n, kind) for n in range(len(patches) + 1)]
        if kind == "classify":  # and the classifier on both cores, every fix applied
            plan.append((len(patches), "classify:2"))
        for n, mode in plan:
            chosen = list(patches[:n]) or ["-"]
            extra = ["--repeat", str(args.repeat)] if kind == "parse" else []
            r = _common.run_child([__file__, *extra, "--child", mode, str(corpus), *chosen])
            baseline = baseline or r
            same = all(r[k] == baseline[k] for k in r if k.startswith("digest"))
            r["identical"] = same
            results[kind].append(r)
            label = "+ " + patches[n - 1] if n else "as is"
            label = "+ 2 processes" if mode == "classify:2" else label
            ratio = (
                f"  ({r['ratio']:.2f} x bare lxml {r['lxml_bare_per_s']:,.0f})"
                if kind == "parse"
                else ""
            )
            gain = r["records_per_s"] / baseline["records_per_s"]
            print(
                f"   {label:<16}{r['records_per_s']:>9,.0f} rec/s  x{gain:.2f}"
                f"{ratio}  outputs {'identical' if same else 'DIFFERENT'}"
                f"  others' CPU {r['others_cpu_share']:.0%}, load "
                f"{_common.fmt_load(r['load_before'])} -> {_common.fmt_load(r['load_after'])}"
                + _common.load_warning(r["load_before"], r["load_after"], r["others_cpu_share"]),
                flush=True,
            )
        print()
    if args.json:
        args.json.write_text(json.dumps({"machine": info, **results}, indent=1))


if __name__ == "__main__":
    main()
