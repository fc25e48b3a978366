"""Shared helpers for the benchmark scripts: the machine, the load, peak memory, and the
synthetic PubMed files built by repeating real records with new PMIDs.

Not a test module and not part of the package: the scripts in this folder import it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MEDLINE = SHARED / "fixtures" / "medline"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The prolog efetch sends today (tests/support/standin.py copies it from NCBI); Biopython
# ships this DTD.
PROLOG = (
    b'<?xml version="1.0" ?>\n'
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    b"<PubmedArticleSet>\n"
)
EPILOG = b"</PubmedArticleSet>\n"
FIRST_SYNTHETIC_PMID = 90_000_000
LIBRARIES = (
    "lxml",
    "biopython",
    "pubmed_parser",
    "snakemake",
    "rapidfuzz",
    "requests",
    "pyinstrument",
    "py-spy",
)
# The 1-minute load average counts the benchmark's own process (about 1.0 while it runs), so
# only more than this means other work shared the machine; the CPU that other processes used
# during a measurement (CpuMeter) says it more precisely.
HIGH_LOAD = 1.5
HIGH_OTHERS = 0.10  # other processes used more than 10% of the machine's CPU time


# --------------------------------------------------------------------------- the machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def versions() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    try:
        from lxml import etree

        found["libxml2"] = ".".join(map(str, etree.LIBXML_VERSION))
    except ImportError:
        pass
    return found


def machine() -> dict:
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions(),
        "load": load(),
    }


def print_machine(title: str) -> dict:
    info = machine()
    print(f"# {title}")
    print(f"date     {info['date']}")
    print(f"machine  {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM")
    print(f"system   {info['os']}, Python {info['python']}")
    print("versions " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print(f"load     {fmt_load(info['load'])} (1/5/15-minute averages)")
    print(flush=True)
    return info


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def fmt_load(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def load_warning(before: list[float], after: list[float], others: float | None = None) -> str:
    worst = max(before[0], after[0])
    if others is not None:
        return f"  (others used {others:.0%} of the CPU: rerun)" if others > HIGH_OTHERS else ""
    return f"  (HIGH LOAD {worst:.2f}: rerun)" if worst > HIGH_LOAD else ""


def _busy_seconds() -> float | None:
    """CPU seconds the whole machine spent busy since boot (/proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class CpuMeter:
    """CPU used during a measurement by this process and its (waited-for) children, and by
    every other process on the machine: `others` is their share of all cores' time."""

    def __enter__(self):
        self.wall = time.monotonic()
        self.busy = _busy_seconds()
        self.own = _own_seconds()
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.wall
        own = _own_seconds() - self.own
        busy = _busy_seconds()
        self.own_cpu = round(own, 2)
        if busy is None or self.busy is None:
            self.others = None
        else:
            other = max(0.0, (busy - self.busy) - own)
            self.others = round(other / (wall * (os.cpu_count() or 1)), 3)


def peak_rss_mib() -> float:
    """This process's peak resident set size, in MiB.

    VmHWM (the high-water mark of this process image) where /proc has it: Linux carries
    ru_maxrss across exec, so a child's ru_maxrss would include its parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run_child(args: list[str], timeout: float = 1800) -> dict:
    """Run `python args...` in a fresh process; it prints one JSON line last. Adds the load
    before and after and the wall time seen from outside."""
    before = load()
    started = time.perf_counter()
    with CpuMeter() as meter:
        done = subprocess.run(
            [sys.executable, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(
        load_before=before,
        load_after=load(),
        outside_seconds=round(elapsed, 3),
        others_cpu_share=meter.others,
    )
    return result


# --------------------------------------------------------------------------- synthetic files


def _medline_files() -> list[Path]:
    files = sorted(p for p in MEDLINE.rglob("*") if p.name.endswith((".xml", ".xml.gz")))
    if not files:
        raise SystemExit(f"no PubMed XML under {MEDLINE}: ../shared/fixtures is needed")
    return files


def fixture_articles() -> list[bytes]:
    """Every real <PubmedArticle> in ../shared/fixtures/medline, serialized as it came
    (the 2016 MedlineCitationSet file has none and is skipped)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    articles = []
    for path in _medline_files():
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        root = etree.fromstring(data, parser)
        for article in root.iter("PubmedArticle"):
            articles.append(etree.tostring(article, encoding="UTF-8", with_tail=False))
    return articles


def snapshot_articles() -> list[bytes]:
    """The project's bundled MDMA/PTSD records as PubMed XML (livescreen.sources.snapshot)."""
    from livescreen.sources.snapshot import Snapshot

    snapshot = Snapshot(ROOT / "resources" / "snapshot" / "snapshot_records.json")
    return [xml.strip() for xml in snapshot.articles.values()]


def renumbered(articles: list[bytes], count: int, first_pmid: int) -> Iterator[tuple[str, bytes]]:
    """(pmid, article) for `count` copies of `articles` in turn, each with a new PMID in
    MedlineCitation/PMID and in its own ArticleId IdType="pubmed" (references keep theirs)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    templates = []
    for data in articles:
        element = etree.fromstring(data, parser)
        pmid_el = element.find("MedlineCitation/PMID")
        own = [
            a
            for a in element.findall("PubmedData/ArticleIdList/ArticleId")
            if a.get("IdType") == "pubmed"
        ]
        templates.append((element, pmid_el, own))
    for i in range(count):
        element, pmid_el, own = templates[i % len(templates)]
        pmid = str(first_pmid + i)
        pmid_el.text = pmid
        for article_id in own:
            article_id.text = pmid
        # lxml writes no XML declaration for UTF-8, so the bytes are the element alone
        yield pmid, etree.tostring(element, encoding="UTF-8", with_tail=False)


def write_corpus(
    path: Path,
    count: int,
    *,
    articles: list[bytes] | None = None,
    first_pmid: int = FIRST_SYNTHETIC_PMID,
    compress: bool | None = None,
) -> Path:
    """A <PubmedArticleSet> of `count` records (gzip when the name ends in .gz)."""
    articles = articles if articles is not None else fixture_articles()
    compress = path.name.endswith(".gz") if compress is None else compress
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    opener = gzip.open(tmp, "wb", compresslevel=1) if compress else open(tmp, "wb")
    with opener as out:
        out.write(PROLOG)
        for _pmid, xml in renumbered(articles, count, first_pmid):
            out.write(xml + b"\n")
        out.write(EPILOG)
    tmp.replace(path)
    return path


def corpus(path: Path, count: int, **kwargs) -> Path:
    """`write_corpus` unless a file of that name is already there (it is a cache)."""
    return path if path.exists() else write_corpus(path, count, **kwargs)
