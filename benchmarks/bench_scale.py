"""Scale benchmark: 10,000 and 100,000 records through the local steps of the workflow,
parse -> classify -> deduplicate -> tables, with the package functions the rules' scripts
call, in one fresh process per size.

Input: real records repeated with new PMIDs (the <PubmedArticle> records of
../shared/fixtures/medline plus the project's bundled MDMA/PTSD snapshot records, so the
classifier meets both unrelated and relevant text), cached in --workdir (not committed).
Keyword searches are synthetic: each record is found by one to three of the config's
keywords. Essay references are the project's list, resolved offline against the snapshot.

Steps, as scripts/parse.py, scripts/classify.py and scripts/tables.py do them:
  parse        iter_articles over the XML -> ensure_complete -> write_jsonl(records.jsonl);
               with --streaming, parse_stored from a record store on the rule's 2 threads
  classify     read_jsonl -> {**record, **classify(record)} each -> write_jsonl(classified.jsonl);
               with --streaming, classify_file on the rule's 2 threads, as scripts/classify.py
  deduplicate  read_jsonl(classified.jsonl); merge_search_hits; match_essay_references
  tables       screening_rows + write_csv(to_screen.csv) + write_csv(by_mechanism/<slug>.csv)
Each step's time and peak resident memory (VmHWM, reset before the step) are reported.

    python benchmarks/bench_scale.py                     # 10,000 and 100,000 records
    python benchmarks/bench_scale.py --sizes 10000 50000
    python benchmarks/bench_scale.py --sizes 10000 --workbook   # also time screening.xlsx

Target (the issue): 100,000 records in < 60 s and < 1 GB on this machine, time growing
linearly (time(100k) / time(10k) close to 10).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_MIB = 1024.0
STEPS = ("parse", "classify", "deduplicate", "tables")
CLASSIFY_THREADS = 2  # the classify rule's threads: (rules/classify.smk)
PARSE_THREADS = 2  # the parse rule's threads: (rules/fetch.smk)


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)
    except OSError:
        pass


def searches_for(pmids: list[str], slugs: list[str]) -> list[dict]:
    """Each PMID found by one to three keyword searches (deterministic)."""
    found: dict[str, list[str]] = {slug: [] for slug in slugs}
    for index, pmid in enumerate(pmids):
        for k in range(1 + index % 3):
            found[slugs[(index + 4 * k) % len(slugs)]].append(pmid)
    return [{"slug": slug, "pmids": ids} for slug, ids in found.items()]


def read_jsonl_paused_gc(path: Path) -> list[dict]:
    """read_jsonl with the cyclic collector paused, then the loaded records frozen out of its
    reach: it rescans every record already loaded, which makes loading and every later step
    super-linear at 100k records (JSON records hold no cycles)."""
    import gc

    from livescreen.files import read_jsonl

    enabled = gc.isenabled()
    gc.disable()
    try:
        records = read_jsonl(path)
        gc.freeze()  # later collections skip what is loaded now (it lives to the end)
        return records
    finally:
        if enabled:
            gc.enable()


def child(size: int, workdir: Path, workbook: bool, streaming: bool = False) -> None:
    from livescreen.classify import classify, load_vocabulary
    from livescreen.classify.batch import classify_file
    from livescreen.config import load_config
    from livescreen.dedup.essay import match_essay_references, merge_search_hits
    from livescreen.fetch import RecordStore, ensure_complete, parse_stored
    from livescreen.files import read_jsonl, write_csv, write_jsonl
    from livescreen.parse.pubmed_xml import iter_articles
    from livescreen.references.parse import read_reference_list
    from livescreen.references.resolve import resolve_references
    from livescreen.review.tables import SCREENING_COLUMNS, mechanism_rows, screening_rows
    from livescreen.sources.snapshot import Snapshot

    root = _common.ROOT
    config = load_config(root / "config.yaml")
    xml = workdir / f"mix_{size}.xml"
    pmids = [str(_common.FIRST_SYNTHETIC_PMID + i) for i in range(size)]
    slugs = [k["slug"] for k in config["keywords"]]
    searches = searches_for(pmids, slugs)
    snapshot = Snapshot(root / config["snapshot"])
    references = resolve_references(read_reference_list(root / config["references"]), snapshot)
    vocabulary = load_vocabulary(config)
    out = workdir / f"out_{size}"
    out.mkdir(parents=True, exist_ok=True)
    base = _common.current_rss_mib()
    steps: dict[str, dict] = {}

    def step(name, work):
        _reset_peak()
        started = time.perf_counter()
        result = work()
        steps[name] = {
            "seconds": round(time.perf_counter() - started, 3),
            "peak_mib": round(_common.peak_rss_mib(), 1),
        }
        return result

    def parse():
        if streaming:  # as scripts/parse.py: from the record store, on the rule's 2 threads
            store = RecordStore(workdir / f"store_{size}")
            parse_stored(store, pmids, out / "records.jsonl", threads=PARSE_THREADS)
            return
        write_jsonl(out / "records.jsonl", ensure_complete(pmids, iter_articles(xml)))

    def classify_step():
        if streaming:  # as scripts/classify.py: streamed, on the rule's threads, no cache yet
            classify_file(
                out / "records.jsonl",
                out / "classified.jsonl",
                {
                    "essay_date": config["essay_date"],
                    "vocabulary": config.get("vocabulary", {}),
                    "mechanism_instruments": config.get("mechanism_instruments"),
                    "keywords": [{"slug": slug} for slug in slugs],
                },
                threads=CLASSIFY_THREADS,
            )
            return
        records = read_jsonl(out / "records.jsonl")
        classified = [
            {**record, **classify(record, vocabulary, config["essay_date"])} for record in records
        ]
        write_jsonl(out / "classified.jsonl", classified)

    held: dict[str, list] = {}

    def deduplicate():
        load = read_jsonl_paused_gc if streaming else read_jsonl
        records = load(out / "classified.jsonl")
        mechanisms = merge_search_hits(searches)
        matches, possible = match_essay_references(
            records, references, **config["essay_title_match"]
        )
        held["records"] = records
        return mechanisms, matches, possible

    step("parse", parse)
    step("classify", classify_step)
    mechanisms, matches, possible = step("deduplicate", deduplicate)

    def tables():
        cited = {m["pmid"] for m in matches}
        notes = {p["pmid"]: f"possible match to essay reference {p['essay_ref']}" for p in possible}
        records = held.pop("records")
        to_screen = [r for r in records if r["pmid"] not in cited]
        provenance = {pmid: ("pubmed", "2026-11-26T00:00:00+00:00") for pmid in mechanisms}
        if streaming:
            # rows are built record by record and each record is dropped once it has its row
            del records
            to_screen.reverse()

            def consumed():
                while to_screen:
                    yield to_screen.pop()

            rows = screening_rows(consumed(), mechanisms, provenance, notes, {})
        else:
            rows = screening_rows(to_screen, mechanisms, provenance, notes, {})
        cells: dict = {}  # as livescreen.review.views.write_views shares them
        write_csv(out / "to_screen.csv", rows, SCREENING_COLUMNS, shared_cells=cells)
        for slug in slugs:
            by_slug = mechanism_rows(rows, slug)
            write_csv(
                out / "by_mechanism" / f"{slug}.csv", by_slug, SCREENING_COLUMNS, shared_cells=cells
            )
        return len(rows)

    rows = step("tables", tables)
    if workbook:
        import csv

        from livescreen.review.workbook import Sheet, write_workbook

        def workbook_step():
            with open(out / "to_screen.csv", encoding="utf-8-sig", newline="") as handle:
                table = list(csv.DictReader(handle))
            links = {"pubmed_url": "url", "doi": "doi"}
            write_workbook(
                out / "screening.xlsx",
                [Sheet("To screen", SCREENING_COLUMNS, table, links, "highlight")],
            )

        step("workbook", workbook_step)
    print(
        json.dumps(
            {
                "records": size,
                "rows": rows,
                "essay_matches": len(matches),
                "possible": len(possible),
                "base_mib": round(base, 1),
                "steps": steps,
                "seconds": round(sum(steps[s]["seconds"] for s in STEPS), 3),
                "peak_mib": max(steps[s]["peak_mib"] for s in STEPS),
            }
        )
    )


def record_store(folder: Path, size: int, articles: list[bytes]) -> Path:
    """The same records as mix_<size>.xml in a record store, as the fetch step leaves them
    (built once: it is a cache)."""
    from livescreen.fetch import STORE_FILE, RecordStore

    if not (folder / STORE_FILE).exists():
        building = folder.with_name(folder.name + ".part")
        store = RecordStore(building)
        store.put(_common.renumbered(articles, size, _common.FIRST_SYNTHETIC_PMID), "benchmark")
        building.replace(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/livescreen-bench"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--workbook",
        action="store_true",
        help="also time write_workbook of to_screen (the screening_tables job writes one)",
    )
    parser.add_argument(
        "--streaming",
        action="store_true",
        help="the memory fixes: classify streamed record by record, JSONL loaded with the "
        "collector paused, each record dropped once its table row is built",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workdir, args.workbook, args.streaming)
        return

    title = "scale benchmark"
    title += " WITH the streaming (memory) fixes" if args.streaming else ""
    info = _common.print_machine(title)
    articles = _common.fixture_articles() + _common.snapshot_articles()
    for size in args.sizes:
        path = _common.corpus(args.workdir / f"mix_{size}.xml", size, articles=articles)
        if args.streaming:
            record_store(args.workdir / f"store_{size}", size, articles)
        print(
            f"input: {size:,} records ({path.stat().st_size / 2**20:.0f} MiB XML) from "
            f"{len(articles)} real records repeated with new PMIDs"
        )
    print(flush=True)

    results = []
    for size in args.sizes:
        flags = [
            *(["--workbook"] if args.workbook else []),
            *(["--streaming"] if args.streaming else []),
        ]
        r = _common.run_child(
            [__file__, "--child", str(size), "--workdir", str(args.workdir), *flags]
        )
        results.append(r)
        print(
            f"{size:,} records: {r['seconds']:.1f} s, peak {r['peak_mib']:.0f} MiB "
            f"(base {r['base_mib']:.0f} MiB); {r['rows']:,} rows to screen, "
            f"{r['essay_matches']} essay matches; others used {r['others_cpu_share']:.0%} "
            f"of the CPU; load {_common.fmt_load(r['load_before'])} -> "
            f"{_common.fmt_load(r['load_after'])}"
            + _common.load_warning(r["load_before"], r["load_after"], r["others_cpu_share"])
        )
        for name in r["steps"]:
            s = r["steps"][name]
            print(
                f"    {name:<12}{s['seconds']:>9.2f} s {size / s['seconds']:>10,.0f} rec/s"
                f"   peak {s['peak_mib']:>7.0f} MiB"
            )
        print(flush=True)

    if len(results) >= 2:
        small, large = results[0], results[-1]
        factor = large["records"] / small["records"]
        print(
            f"ratio {large['records']:,} / {small['records']:,} records (x{factor:g}): "
            f"time x{large['seconds'] / small['seconds']:.2f}, "
            f"peak memory x{large['peak_mib'] / small['peak_mib']:.2f}"
        )
        for name in STEPS:
            a, b = small["steps"][name], large["steps"][name]
            print(
                f"    {name:<12}time x{b['seconds'] / a['seconds']:.2f}   "
                f"memory x{b['peak_mib'] / a['peak_mib']:.2f}"
            )
    for r in results:
        if r["records"] == 100_000:
            print(
                f"\ntarget: 100,000 records < {TARGET_SECONDS:.0f} s: {r['seconds']:.1f} s -> "
                f"{'MET' if r['seconds'] < TARGET_SECONDS else 'MISSED'}"
            )
            print(
                f"target: 100,000 records < 1 GB: peak {r['peak_mib']:.0f} MiB -> "
                f"{'MET' if r['peak_mib'] < TARGET_MIB else 'MISSED'}"
            )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "results": results, "load_end": _common.load()}, indent=1)
        )


if __name__ == "__main__":
    main()
