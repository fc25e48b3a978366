"""The PRISMA 2020 flow diagram, drawn from counts.csv rows (counted by `export.prisma`).

Two of the PRISMA 2020 templates for reviews that searched databases and registers only:

* for **updated reviews** (`livescreen_view` = `update`, and any counts.csv without that
  row): previous studies in a column on the left, identification of new studies via
  databases and registers, screening, included, total — one livescreen run;
* for **new reviews** (`livescreen_view` = `review so far`): identification of studies via
  databases and registers, screening, included — every run so far, as one review.

A heading names the run (and, for the review so far, the first run). Boxes are sized to
their text (wrapped by the font's advance widths; a count `(n = …)` is never broken), and
the output is byte-identical for the same counts: SVG with text kept as text (searchable,
editable in a manuscript) and a 200 dpi PNG. `–` is a count not known (yet); a footnote
says why.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from livescreen.export.prisma import (
    DETAIL,
    KEYWORD_COLUMNS,
    REVIEW,
    TEMPLATE,
    UPDATE,
    PrismaCountError,
    Screening,
    archive,
    keyword_counts,
    parse_specific,
    read_counts,
    review_counts,
    update_counts,
    write_counts,
)
from livescreen.files import atomic_path, write_csv

FONT = "DejaVu Sans"  # matplotlib's bundled default: the same output on every machine
FONT_SIZE = 8.5  # points
LINE = FONT_SIZE * 1.32 / 72  # inches per text line
PAD = 0.09  # inches of padding inside a box
INDENT = 0.16  # inches per indent level
ROW_GAP = 0.32  # inches between rows (room for the arrows)
TITLE_GAP = 0.16  # inches between the column titles and the first row
COLUMN_GAP = 0.38
PHASE_WIDTH = 0.34
PREVIOUS_WIDTH = 2.75
MAIN_WIDTH = 3.0
SIDE_WIDTH = 3.25
MARGIN = 0.12
GREY, YELLOW, BLUE = "#d9d9d9", "#ffd966", "#9dc3e6"
UNKNOWN = "–"
MAX_REASONS = 8
STYLE = {
    "svg.hashsalt": "livescreen-prisma",  # fixed ids: the same counts give the same file
    "svg.fonttype": "none",  # text stays text: searchable, editable in a manuscript
    "font.family": FONT,
    "font.size": FONT_SIZE,
}


@dataclass
class _Box:
    """A box's lines: (text, indent level); laid out by `_layout`."""

    lines: list[tuple[str, int]]
    fill: str = "white"
    bold: bool = False
    centred: bool = False
    x: float = 0.0
    width: float = 0.0
    wrapped: list[tuple[str, int]] = field(default_factory=list)
    top: float = 0.0
    height: float = 0.0

    @property
    def bottom(self) -> float:
        return self.top - self.height

    @property
    def middle(self) -> float:
        return self.top - self.height / 2

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


def _value(text) -> int | str | None:
    """A count as a CSV cell holds it: '' -> None (unknown), '12' or '1,234' -> int."""
    if text is None or isinstance(text, int):
        return text
    text = str(text).strip().lstrip("'")
    if not text:
        return None
    return int(text.replace(",", "")) if re.fullmatch(r"\d[\d,]*", text) else text


def _n(value) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:,}" if isinstance(value, int) else str(value)


def count_label(label: str, value) -> str:
    """`Label (n = 1,234)`, as the template writes counts; `n = –` when unknown."""
    return f"{label} (n = {_n(value)})"


def _listed(value) -> list[tuple[str, int]]:
    """Indented `Name (n = k)` lines from a `Name, k; Name, k` cell (at most MAX_REASONS)."""
    if not isinstance(value, str) or not value.strip():
        return []
    pairs = [(name, _value(n)) for name, n in parse_specific(value)]
    lines = [(count_label(name, n), 1) for name, n in pairs[:MAX_REASONS]]
    rest = pairs[MAX_REASONS:]
    if rest:
        total = sum(n for _, n in rest if isinstance(n, int))
        lines.append((count_label(f"{len(rest)} further reasons", total), 1))
    return lines


def _sum(value: str) -> int | None:
    numbers = [_value(n) for _, n in parse_specific(value)]
    return sum(n for n in numbers if isinstance(n, int)) if numbers else None


def is_review(counts: Mapping[str, object]) -> bool:
    """Whether counts (data -> n) are the review so far (the new-review template)."""
    return counts.get("livescreen_view") == REVIEW


def heading(v: Mapping[str, object]) -> str:
    """The line above the diagram: which counts it draws."""
    run = v.get("livescreen_run")
    if is_review(v):
        first = v.get("livescreen_first_run") or run
        return f"The review so far: every record shown by runs {first} to {run}"
    if v.get("livescreen_view") == UPDATE:
        return f"Update {run}: records first shown by this run; decisions as of this run"
    return ""


def diagram_boxes(counts: Iterable[Mapping]) -> dict[str, _Box]:
    """The diagram's boxes and their text, from counts.csv rows."""
    v = {row["data"]: _value(row.get("n")) for row in counts}
    review = is_review(v)
    label = {data: text for data, (_, _, text) in TEMPLATE.items()} | DETAIL

    def line(data: str, indent: int = 0, text: str | None = None) -> tuple[str, int]:
        return count_label(text or label[data], v.get(data)), indent

    def given(data: str, indent: int = 1, text: str | None = None) -> list[tuple[str, int]]:
        """A livescreen_* breakdown line, only where the counts have that row."""
        return [line(data, indent, text)] if data in v else []

    reports_excluded = v.get("dbr_excluded")
    if isinstance(reports_excluded, str):  # reasons, as 'Reason, n; Reason, n'
        excluded_lines = [
            (count_label("Reports excluded", _sum(reports_excluded)), 0),
            *_listed(reports_excluded),
        ]
    else:
        excluded_lines = [line("dbr_excluded")]
    sought_lines = [line("dbr_sought_reports")]
    if v.get("dbr_sought_reports") is None:
        sought_lines += given("livescreen_passed_screening")
    duplicates = [line("duplicates", 0, "Duplicate records removed")]
    if review:
        duplicates.append(("each record counted once", 1))
    else:
        duplicates += given("livescreen_found_again")
    screened = [
        line("records_screened"),
        *given("livescreen_screened_publications"),
        *given("livescreen_screened_registrations"),
        *given("livescreen_first_shown_earlier"),
        *given("livescreen_first_shown_now"),
        *given("livescreen_awaiting_decision"),
        *(given("livescreen_conflicts", 2) if v.get("livescreen_conflicts") else []),
    ]
    title = "Identification of new studies via databases and registers"
    boxes = {
        "new_title": _Box(
            [(title.replace("new studies", "studies") if review else title, 0)],
            YELLOW,
            bold=True,
            centred=True,
        ),
        "identified": _Box(
            [
                ("Records identified from:", 0),
                line("database_results"),
                *_listed(v.get("database_specific_results")),
                *given("livescreen_keyword_hits", 2),
                *given("livescreen_not_found_publications", 2),
                line("register_results"),
                *_listed(v.get("register_specific_results")),
                *given("livescreen_not_found_registrations", 2),
                # citation searching is screened with the rest (livescreen.export.prisma), so
                # it is counted here, where the records screened come from
                *([line("citations_results")] if isinstance(v.get("citations_results"), int)
                  else []),  # fmt: skip
            ]
        ),
        "removed": _Box(
            [
                ("Records removed before screening:", 0),
                *duplicates,
                line("excluded_automatic"),
                line("excluded_other"),
                ("already cited by the essay", 1),
            ]
        ),
        "screened": _Box(screened),
        "excluded": _Box(
            [line("records_excluded"), *_listed(v.get("livescreen_exclusion_reasons"))]
        ),
        "sought": _Box(sought_lines),
        "not_retrieved": _Box([line("dbr_notretrieved_reports")]),
        "assessed": _Box([line("dbr_assessed")]),
        "reports_excluded": _Box(excluded_lines),
    }
    if review:
        boxes["new"] = _Box(
            [
                line("new_studies", 0, "Studies included in review"),
                line("new_reports", 0, "Reports of included studies"),
            ]
        )
        return boxes
    previous = [line("previous_studies"), line("previous_reports")]
    if "livescreen_earlier_screened" in v:
        previous += [
            ("", 0),
            line("livescreen_earlier_screened"),
            *given("livescreen_earlier_include"),
            *given("livescreen_earlier_exclude"),
            *given("livescreen_earlier_awaiting"),
        ]
    return {
        "previous_title": _Box([("Previous studies", 0)], GREY, bold=True, centred=True),
        "previous": _Box(previous),
        **boxes,
        "new": _Box([line("new_studies"), line("new_reports")]),
        "total": _Box([line("total_studies"), line("total_reports")]),
    }


def footnote(v: Mapping[str, object], drawn: Iterable[str]) -> str:
    """Why boxes show `–`: records still await a decision, and/or the reviewers fill them in."""
    if not any(UNKNOWN in text for text in drawn):
        return ""
    awaiting = v.get("livescreen_awaiting_decision")
    files = "counts.csv flow.svg flow.png"
    if v.get("livescreen_view") == UPDATE:
        files = "update_counts.csv update_flow.svg update_flow.png"
    redraw = f"complete a copy of the counts and redraw with livescreen prisma {files}"
    if isinstance(awaiting, int) and awaiting and v.get("dbr_sought_reports") is None:
        records = "record awaits" if awaiting == 1 else "records await"
        return (
            f"{UNKNOWN}  not known yet: {awaiting:,} {records} a screening decision; reports "
            "are sought once every record screened is decided. Full-text retrieval and "
            f"assessment are not recorded by livescreen: {redraw}"
        )
    return (
        f"{UNKNOWN}  not recorded by livescreen: full texts are retrieved and assessed outside "
        f"it; {redraw}"
    )


def _wrap(text: str, indent: int, width: float, measure) -> list[tuple[str, int]]:
    """Greedy word wrap to `width` inches, never breaking a `(n = …)` count."""
    if not text:
        return [("", indent)]
    tokens = re.findall(r"\(n = [^)]*\)|\S+", text)
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = f"{current} {token}" if current else token
        # continuation lines hang one level deeper than the line they continue
        level = indent + (1 if lines else 0)
        if current and measure(candidate) > width - 2 * PAD - level * INDENT:
            lines.append(current)
            current = token
        else:
            current = candidate
    lines.append(current)
    return [(text, indent if i == 0 else indent + 1) for i, text in enumerate(lines)]


def _columns(boxes: dict[str, _Box]) -> dict[str, tuple[float, float]]:
    """Each box's (x, width): previous studies (when drawn), main flow, side boxes."""
    x_previous = MARGIN + PHASE_WIDTH + 0.18
    x_main = x_previous + (PREVIOUS_WIDTH + COLUMN_GAP if "previous" in boxes else 0)
    x_side = x_main + MAIN_WIDTH + COLUMN_GAP
    main = ["identified", "screened", "sought", "assessed", "new", "total"]
    side = ["removed", "excluded", "not_retrieved", "reports_excluded"]
    return {
        "previous_title": (x_previous, PREVIOUS_WIDTH),
        "previous": (x_previous, PREVIOUS_WIDTH),
        "new_title": (x_main, x_side + SIDE_WIDTH - x_main),
        **dict.fromkeys(main, (x_main, MAIN_WIDTH)),
        **dict.fromkeys(side, (x_side, SIDE_WIDTH)),
    }


def _layout(boxes: dict[str, _Box], measure, top: float, minimum: float = 0.0) -> float:
    """Place every box from `top` downwards, the last row at least `minimum` high (room for
    its phase's name); return the lowest y."""
    columns = _columns(boxes)
    for name, box in boxes.items():
        box.x, box.width = columns[name]

        def fits(text: str, bold: bool = box.bold) -> float:
            return measure(text, bold)

        box.wrapped = [
            piece for text, indent in box.lines for piece in _wrap(text, indent, box.width, fits)
        ]
        box.height = len(box.wrapped) * LINE + 2 * PAD
    rows = [
        ["previous_title", "new_title"],
        ["previous", "identified", "removed"],
        ["screened", "excluded"],
        ["sought", "not_retrieved"],
        ["assessed", "reports_excluded"],
        ["new"],
        ["total"],
    ]
    rows = [[name for name in row if name in boxes] for row in rows]
    rows = [row for row in rows if row]
    for number, row in enumerate(rows):
        height = max(boxes[name].height for name in row)
        if number == len(rows) - 1:
            height = max(height, minimum)
        for name in row:
            boxes[name].top, boxes[name].height = top, height
        top -= height + (TITLE_GAP if number == 0 else ROW_GAP)
    return top + ROW_GAP - MARGIN


def flow_diagram(counts: Iterable[Mapping], svg_path: str | Path, png_path: str | Path) -> None:
    """Draw the PRISMA 2020 flow diagram (for an update or for the review so far, as the
    counts say) from counts.csv rows: SVG (text kept as text) and PNG (200 dpi),
    byte-identical for the same counts."""
    import matplotlib

    figure = diagram_figure(counts)
    with matplotlib.rc_context(STYLE):
        with atomic_path(svg_path) as tmp:
            figure.savefig(tmp, format="svg", metadata={"Date": None})
        with atomic_path(png_path) as tmp:
            figure.savefig(tmp, format="png", dpi=200)


def diagram_figure(counts: Iterable[Mapping]):
    """The flow diagram as a matplotlib Figure (boxes, arrows and text placed from the counts;
    each box patch has the gid `box-<name>`)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.textpath import TextToPath

    counts = list(counts)
    v = {row["data"]: _value(row.get("n")) for row in counts}
    with matplotlib.rc_context(STYLE):
        to_path = TextToPath()

        def measure(text: str, bold: bool = False, size: float = FONT_SIZE) -> float:
            """Width in inches from the font's advance widths (as an SVG viewer and the
            200 dpi PNG set the text), with a 3 % margin."""
            prop = FontProperties(family=FONT, size=size, weight="bold" if bold else None)
            return to_path.get_text_width_height_descent(text, prop, ismath=False)[0] / 72 * 1.03

        boxes = diagram_boxes(counts)
        width = _columns(boxes)["removed"][0] + SIDE_WIDTH + MARGIN
        usable = width - 2 * MARGIN + 2 * PAD  # _wrap keeps PAD on each side
        title_lines = _wrap(heading(v), 0, usable, lambda t: measure(t, True)) if heading(v) else []
        top = -MARGIN - len(title_lines) * LINE - (PAD if title_lines else 0)
        # a phase bar as high as its name at least: only "Included" can be shorter, when
        # it is one box (the review so far has no total)
        included = 0.0 if "total" in boxes else measure("Included", True) + 2 * PAD
        bottom = _layout(boxes, measure, top, included)
        drawn = [text for box in boxes.values() for text, _ in box.wrapped]
        small = FONT_SIZE - 1
        note = footnote(v, drawn)
        note_lines = _wrap(note, 0, usable, lambda t: measure(t, size=small)) if note else []
        height = -bottom + len(note_lines) * LINE + (PAD if note_lines else 0)

        figure = Figure(figsize=(width, height))
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.set_xlim(0, width)
        axes.set_ylim(-height, 0)
        axes.axis("off")

        for number, (text, indent) in enumerate(title_lines):
            axes.text(
                MARGIN + indent * INDENT,
                -MARGIN - (number + 0.5) * LINE,
                text,
                ha="left",
                va="center_baseline",
                fontweight="bold",
            )

        for name, box in boxes.items():
            rounded = box.fill != "white"
            axes.add_patch(
                FancyBboxPatch(
                    (box.x, box.bottom),
                    box.width,
                    box.height,
                    boxstyle="round,pad=0,rounding_size=0.06" if rounded else "square,pad=0",
                    facecolor=box.fill,
                    edgecolor="black",
                    linewidth=0.8,
                    gid=f"box-{name}",
                )
            )
            first = box.middle + len(box.wrapped) * LINE / 2
            for number, (text, indent) in enumerate(box.wrapped):
                y = first - (number + 0.5) * LINE
                if box.centred:
                    x, ha = box.centre, "center"
                else:
                    x, ha = box.x + PAD + indent * INDENT, "left"
                axes.text(
                    x, y, text, ha=ha, va="center_baseline", fontweight="bold" if box.bold else None
                )

        # phases: blue bars with the stage name, down the left edge
        last = boxes.get("total", boxes["new"])
        phases = [
            ("Identification", boxes["identified"].top, boxes["identified"].bottom),
            ("Screening", boxes["screened"].top, boxes["reports_excluded"].bottom),
            ("Included", boxes["new"].top, last.bottom),
        ]
        for text, upper, lower in phases:
            axes.add_patch(
                FancyBboxPatch(
                    (MARGIN, lower),
                    PHASE_WIDTH,
                    upper - lower,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor=BLUE,
                    edgecolor="black",
                    linewidth=0.8,
                )
            )
            axes.text(
                MARGIN + PHASE_WIDTH / 2,
                (upper + lower) / 2,
                text,
                rotation=90,
                ha="center",
                va="center",
                fontweight="bold",
            )

        def arrow(start: tuple[float, float], end: tuple[float, float]) -> None:
            axes.annotate(
                "",
                xy=end,
                xytext=start,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "black",
                    "linewidth": 0.8,
                    "shrinkA": 0,
                    "shrinkB": 0,
                    "mutation_scale": 10,
                },
            )

        down = [
            name
            for name in ["identified", "screened", "sought", "assessed", "new", "total"]
            if name in boxes
        ]
        for upper, lower in zip(down, down[1:], strict=False):
            a, b = boxes[upper], boxes[lower]
            arrow((a.centre, a.bottom), (b.centre, b.top))
        for left, right in [
            ("identified", "removed"),
            ("screened", "excluded"),
            ("sought", "not_retrieved"),
            ("assessed", "reports_excluded"),
        ]:
            a, b = boxes[left], boxes[right]  # one row: the same height
            arrow((a.x + a.width, a.middle), (b.x, b.middle))
        if "previous" in boxes:
            previous, total = boxes["previous"], boxes["total"]
            axes.plot(
                [previous.centre, previous.centre],
                [previous.bottom, total.middle],
                color="black",
                linewidth=0.8,
                solid_capstyle="butt",
            )
            arrow((previous.centre, total.middle), (total.x, total.middle))

        for number, (text, indent) in enumerate(note_lines):
            axes.text(
                MARGIN + indent * INDENT,
                bottom - (number + 0.5) * LINE,
                text,
                ha="left",
                va="center_baseline",
                fontsize=small,
                color="#444444",
            )

    return figure


# the rule's outputs, by name (rules/prisma.smk), and their names in the run's archive
OUTPUTS = ("counts", "by_keyword", "svg", "png", "update_counts", "update_svg", "update_png")


def write_prisma(
    searches: Sequence[Mapping],
    registry: Mapping,
    screening: Screening,
    outputs: Mapping[str, str | Path],
) -> tuple[list[dict], list[dict], Path]:
    """Everything the `prisma` rule writes: the review so far (`counts`, `svg`, `png`), this
    update (`update_counts`, `update_svg`, `update_png`), `by_keyword`, and all of them
    copied into the run's folder. Returns (review rows, update rows, the archive folder)."""
    missing = [name for name in OUTPUTS if name not in outputs]
    if missing:
        raise PrismaCountError(f"no output path for {', '.join(missing)}")
    review = review_counts(searches, registry, screening)
    update = update_counts(searches, registry, screening)
    write_counts(outputs["counts"], review)
    write_counts(outputs["update_counts"], update)
    by_keyword = keyword_counts(searches, registry, screening.imports)
    write_csv(outputs["by_keyword"], by_keyword, KEYWORD_COLUMNS)
    flow_diagram(review, outputs["svg"], outputs["png"])
    flow_diagram(update, outputs["update_svg"], outputs["update_png"])
    folder = archive(screening.run_folder, [outputs[name] for name in OUTPUTS])
    return review, update, folder


def main(argv: Sequence[str] | None = None) -> int:
    """`livescreen prisma counts.csv flow.svg flow.png`: redraw the diagram from a
    counts.csv (or update_counts.csv) the reviewers completed."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: livescreen prisma counts.csv flow.svg flow.png", file=sys.stderr)
        return 2
    flow_diagram(read_counts(args[0]), args[1], args[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
