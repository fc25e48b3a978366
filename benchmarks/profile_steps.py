"""Profile one local step with pyinstrument: the parser (livescreen.parse.pubmed_xml) or the
classifier (livescreen.classify), on the benchmark corpus.

    python benchmarks/profile_steps.py parse                 # 5,000 records
    python benchmarks/profile_steps.py classify --records 2000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["parse", "classify"])
    parser.add_argument("--records", type=int)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/livescreen-bench"))
    args = parser.parse_args()
    from pyinstrument import Profiler

    _common.print_machine(f"pyinstrument profile: {args.step}")
    from livescreen.classify import classify, load_vocabulary
    from livescreen.config import load_config
    from livescreen.parse.pubmed_xml import iter_articles, parse_articles

    if args.step == "parse":
        count = args.records or 5000
        path = _common.corpus(args.workdir / f"pubmed_{count}.xml", count)
        profiler = Profiler(interval=0.0005)
        with profiler:
            total = sum(1 for _ in iter_articles(path))
    else:
        count = args.records or 2000
        path = _common.corpus(
            args.workdir / f"mix_{count}.xml",
            count,
            articles=_common.fixture_articles() + _common.snapshot_articles(),
        )
        config = load_config(_common.ROOT / "config.yaml")
        vocabulary = load_vocabulary(config)
        records = parse_articles(path)
        profiler = Profiler(interval=0.0005)
        with profiler:
            total = len([classify(r, vocabulary, config["essay_date"]) for r in records])
    print(f"{total:,} records from {path.name}")
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
