"""Parsing benchmark: livescreen.parse.pubmed_xml against bare lxml iterparse, pubmed_parser and
Bio.Entrez.read on the same file of real PubMed records, in one run.

The file is built from the real <PubmedArticle> records in ../shared/fixtures/medline,
repeated with new PMIDs (benchmarks/_common.py), and cached in --workdir (not committed).
Every measurement runs in a fresh Python process, so its peak resident memory (ru_maxrss)
is its own; "base" is the resident memory after imports, before parsing.

    python benchmarks/bench_parse.py                 # 30,000 records (~5,000 for the memory check)
    python benchmarks/bench_parse.py --records 60000 --small 10000
    # before/after in the same run: an earlier version of the parser as a standalone module
    git show 7d435a0:livescreen/parse/pubmed_xml.py > /tmp/pubmed_xml_before.py
    python benchmarks/bench_parse.py --baseline /tmp/pubmed_xml_before.py

Targets (issue #19): livescreen >= 0.5 x bare lxml iterparse records/s in the same run (plain
XML and gzip) and >= 2 x pubmed_parser (gzip), and peak memory flat in file size (the small
and the full file peak within 10% + 10 MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

TARGET_RATIO = 0.5
TARGET_OVER_PUBMED_PARSER = 2.0
BASELINE_ENV = "LIVESCREEN_BENCH_BASELINE"  # the --baseline module, for the child process


# --------------------------------------------------------------------------- one measurement


def _input(path: str):
    """A path lxml reads itself, or for gzip a decompressing file object (libxml2 >= 2.14
    no longer decompresses by itself)."""
    import gzip

    return gzip.open(path, "rb") if path.endswith(".gz") else path


def _lxml_bare(path: str) -> int:
    """The floor: lxml iterparse of <PubmedArticle> ends, PMID read, element freed."""
    from lxml import etree

    count = 0
    for _event, elem in etree.iterparse(_input(path), events=("end",), tag="PubmedArticle"):
        elem.findtext("MedlineCitation/PMID")
        count += 1
        elem.clear()
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    return count


def _lxml_every_element(path: str) -> int:
    """lxml iterparse handing every element to Python (as pubmed_parser does), nothing built."""
    from lxml import etree

    count = 0
    for _event, elem in etree.iterparse(_input(path), events=("end",)):
        if elem.tag == "PubmedArticle":
            elem.findtext("MedlineCitation/PMID")
            count += 1
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    return count


def _livescreen(path: str) -> int:
    from livescreen.parse.pubmed_xml import iter_articles

    return sum(1 for _record in iter_articles(path))


def _livescreen_baseline(path: str) -> int:
    """The --baseline parser module (e.g. the version before a change), imported from its file."""
    import importlib.util
    import os

    spec = importlib.util.spec_from_file_location("pubmed_xml_baseline", os.environ[BASELINE_ENV])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return sum(1 for _record in module.iter_articles(path))


def _pubmed_parser(path: str) -> int:
    import pubmed_parser

    return sum(1 for _record in pubmed_parser.parse_medline_xml(path))


def _entrez_read(path: str) -> int:
    from Bio import Entrez

    with open(path, "rb") as handle:
        return len(Entrez.read(handle)["PubmedArticle"])


def _entrez_parse(path: str) -> int:
    from Bio import Entrez

    with open(path, "rb") as handle:
        return sum(1 for _record in Entrez.parse(handle))


PARSERS = {
    "livescreen": _livescreen,
    "livescreen-baseline": _livescreen_baseline,
    "lxml-bare": _lxml_bare,
    "lxml-every-element": _lxml_every_element,
    "pubmed_parser": _pubmed_parser,
    "entrez-read": _entrez_read,
    "entrez-parse": _entrez_parse,
}
IMPORTS = {
    "livescreen": "livescreen.parse.pubmed_xml",
    "livescreen-baseline": "livescreen.parse.pubmed_xml",  # same imports; then its own file
    "lxml-bare": "lxml.etree",
    "lxml-every-element": "lxml.etree",
    "pubmed_parser": "pubmed_parser",
    "entrez-read": "Bio.Entrez",
    "entrez-parse": "Bio.Entrez",
}


def child(name: str, path: str) -> None:
    import importlib

    importlib.import_module(IMPORTS[name])
    base = _common.current_rss_mib()
    started = time.perf_counter()
    count = PARSERS[name](path)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "parser": name,
                "file": Path(path).name,
                "records": count,
                "seconds": round(seconds, 3),
                "records_per_s": round(count / seconds, 1),
                "base_mib": round(base, 1),
                "peak_mib": round(_common.peak_rss_mib(), 1),
            }
        )
    )


# --------------------------------------------------------------------------- the run


def measure(name: str, path: Path, repeat: int) -> dict:
    """Best of `repeat` fresh-process runs (the fastest is the least disturbed); Bio.Entrez
    once (it is ten times slower than the floor: noise does not change its ratio)."""
    repeat = 1 if name.startswith("entrez") else repeat
    runs = [_common.run_child([__file__, "--child", name, str(path)]) for _ in range(repeat)]
    best = max(runs, key=lambda r: r["records_per_s"])
    best["peak_mib"] = max(r["peak_mib"] for r in runs)
    best["runs"] = len(runs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--small", type=int, default=5_000, help="records in the memory check")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/livescreen-bench"))
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement (best kept)")
    parser.add_argument("--no-entrez", action="store_true", help="skip Bio.Entrez (slowest)")
    parser.add_argument("--entrez-parse", action="store_true", help="also Bio.Entrez.parse")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a standalone copy of an earlier pubmed_xml.py, measured side by side",
    )
    parser.add_argument("--child", nargs=2, metavar=("PARSER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    info = _common.print_machine("parsing benchmark")
    work = args.workdir
    started = time.perf_counter()
    plain = _common.corpus(work / f"pubmed_{args.records}.xml", args.records)
    gz = _common.corpus(work / f"pubmed_{args.records}.xml.gz", args.records)
    small = _common.corpus(work / f"pubmed_{args.small}.xml", args.small)
    print(
        f"input: {args.records:,} records from {len(_common.fixture_articles())} real "
        f"<PubmedArticle> in {_common.MEDLINE} repeated with new PMIDs; "
        f"{plain.stat().st_size / 2**20:.0f} MiB XML, {gz.stat().st_size / 2**20:.0f} MiB gzip "
        f"(built or reused in {time.perf_counter() - started:.1f} s)\n",
        flush=True,
    )

    baseline = [] if args.baseline is None else ["livescreen-baseline"]
    if args.baseline is not None:
        os.environ[BASELINE_ENV] = str(args.baseline.resolve())
    plan = [
        ("lxml-bare", plain),
        ("livescreen", plain),
        *((name, plain) for name in baseline),
        ("lxml-every-element", plain),
        ("lxml-bare", gz),
        ("livescreen", gz),
        *((name, gz) for name in baseline),
        ("pubmed_parser", gz),  # it opens its input with gzip.open: gzip only
    ]
    if not args.no_entrez:
        plan.append(("entrez-read", plain))
    if args.entrez_parse:
        plan.append(("entrez-parse", plain))
    plan.append(("livescreen", small))

    results = []
    header = f"{'parser':<20}{'file':<24}{'records':>9}{'s':>9}{'rec/s':>10}{'base MiB':>10}"
    header += f"{'peak MiB':>10}  others' CPU  load before/after"
    print(header)
    for name, path in plan:
        result = measure(name, path, args.repeat)
        results.append(result)
        print(
            f"{name:<20}{path.name:<24}{result['records']:>9,}{result['seconds']:>9.2f}"
            f"{result['records_per_s']:>10,.0f}{result['base_mib']:>10.1f}{result['peak_mib']:>10.1f}"
            f"  {result['others_cpu_share']:>10.0%}  {_common.fmt_load(result['load_before'])} -> "
            f"{_common.fmt_load(result['load_after'])}"
            + _common.load_warning(
                result["load_before"], result["load_after"], result["others_cpu_share"]
            ),
            flush=True,
        )

    def find(name, path):
        return next(r for r in results if r["parser"] == name and r["file"] == path.name)

    print("\nratios (records/s against bare lxml iterparse on the same file, same run):")
    verdicts = {}
    for label, path in (("plain XML", plain), ("gzip", gz)):
        floor = find("lxml-bare", path)["records_per_s"]
        for r in results:
            if r["file"] == path.name and r["parser"] != "lxml-bare":
                print(f"  {r['parser']:<20}{label:<10}{r['records_per_s'] / floor:6.2f} x")
        verdicts[label] = find("livescreen", path)["records_per_s"] / floor
    full, little = find("livescreen", plain), find("livescreen", small)
    flat = full["peak_mib"] <= little["peak_mib"] * 1.1 + 10
    speed_ok = verdicts["plain XML"] >= TARGET_RATIO
    speed_ok = speed_ok and verdicts["gzip"] >= TARGET_RATIO
    print(
        f"\ntarget: livescreen >= {TARGET_RATIO} x bare lxml: "
        f"{verdicts['plain XML']:.2f} x on plain XML, {verdicts['gzip']:.2f} x on gzip -> "
        f"{'MET' if speed_ok else 'MISSED'}"
    )
    others = [r for r in results if r["parser"] == "pubmed_parser"]
    if others:
        over = find("livescreen", gz)["records_per_s"] / others[0]["records_per_s"]
        print(
            f"target: livescreen >= {TARGET_OVER_PUBMED_PARSER} x pubmed_parser (gzip): "
            f"{over:.2f} x -> {'MET' if over >= TARGET_OVER_PUBMED_PARSER else 'MISSED'}"
        )
    if baseline:
        for label, path in (("plain XML", plain), ("gzip", gz)):
            after = find("livescreen", path)["records_per_s"]
            before = find("livescreen-baseline", path)["records_per_s"]
            print(f"after / before ({args.baseline.name}), {label}: {after / before:.2f} x")
    print(
        f"target: memory flat in file size: peak {little['peak_mib']:.1f} MiB at "
        f"{little['records']:,} records, {full['peak_mib']:.1f} MiB at {full['records']:,} -> "
        f"{'MET' if flat else 'MISSED'}"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "results": results, "load_end": _common.load()}, indent=1)
        )


if __name__ == "__main__":
    main()
