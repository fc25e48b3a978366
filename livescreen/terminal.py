"""What a run prints last, for a reviewer at a terminal or reading a cron mail: a few lines
saying where the summary and tables are, the counts and conflicts — or the one error
message that stopped the run. (Snakemake's job log stays above, and in full under
`.snakemake/log/`.)"""

from __future__ import annotations

import re
from pathlib import Path

ERROR_LINE = re.compile(r" ERROR livescreen: (?:[A-Za-z]+Error|[A-Za-z]+): (.*)$")


def success_lines(results: str | Path = "results") -> str:
    results = Path(results)
    summary = results / "runs" / "latest_summary.md"
    if not summary.exists():
        return "livescreen: done"
    lines = summary.read_text(encoding="utf-8").splitlines()
    title = lines[0].lstrip("# ") if lines else "livescreen run"
    facts = []  # the summary's first list: the counts (not the list of new trials)
    for line in lines[1:]:
        if line.startswith("- "):
            facts.append(line[2:])
        elif facts:
            break
    return "\n".join(
        [
            f"livescreen: {title} — done",
            *(f"  {fact}" for fact in facts),
            f"  read first: {summary}",
            f"  screen in: {results / 'screening' / 'screening.xlsx'} or "
            f"{results / 'screening' / 'to_screen.csv'}",
        ]
    )


def failure_lines(logs: str | Path = "logs", since: float = 0.0) -> str:
    """The livescreen error messages logged by jobs of this invocation (log files written
    after `since`), last thing on the screen."""
    messages = []
    for path in sorted(Path(logs).rglob("*.log")):
        if path.stat().st_mtime < since:
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = ERROR_LINE.search(line)
            if match:
                messages.append(f"  {path}: {match.group(1)}")
    if not messages:
        return "livescreen: the run stopped; see the error above and .snakemake/log/"
    return "\n".join(["livescreen: the run stopped:", *messages])
