"""new_since_essay: whether a record first appeared after the essay, and the date that
decided it.

The date is the record's first public appearance: the earlier of the electronic
(``epub_date``) and issue (``pub_date``) dates. A paper published online before the essay
and in print after it was available when the essay was written, so it is not new. Partial
dates (``2021``, ``2021-09``) are periods: wholly after the essay -> new, wholly before ->
not; a period that contains the essay date is settled by the PubMed entry date
(``entrez_date``). With no publication date (in-process and publisher records) the entry
date is used; records from a trial registry may carry ``registration_date`` (or
``first_posted``) and ``start_date``, used in that order when nothing else is known. With no
date at all the record counts as new, so that it is screened rather than silently dropped.
A registration of a trial still under way (:data:`ACTIVE_REGISTRATION`) is new whatever its
dates.

Public API (within the package)
-------------------------------
``new_since(record, essay) -> (bool, reason)``
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

__all__ = ["ACTIVE_REGISTRATION", "new_since"]


_ISO_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def _period(value: Any) -> tuple[date, date] | None:
    """An ISO partial date as the period it covers: '2021' -> 2021-01-01..2021-12-31."""
    if not value:
        return None
    return _period_of(str(value).strip())


@functools.lru_cache(maxsize=4096)  # records share their dates (a year, a month, a day)
def _period_of(text: str) -> tuple[date, date] | None:
    match = _ISO_PARTIAL_DATE.match(text)
    if not match:
        return None
    year = int(match.group(1))
    if match.group(3):
        day = date(year, int(match.group(2)), int(match.group(3)))
        return day, day
    if match.group(2):
        month = int(match.group(2))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(year, 1, 1), date(year, 12, 31)


# Registration statuses of trials still under way: such a trial is current whatever its dates.
ACTIVE_REGISTRATION = frozenset(
    {"NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING"}
)


def new_since(record: Mapping[str, Any], essay: date) -> tuple[bool, str]:
    """Whether the record is new since the essay, and why; a registration of a trial that
    is still recruiting or active counts as new whatever its dates."""
    new, reason = _first_appeared_after(record, essay)
    status = str(record.get("registration_status") or "").upper()
    if not new and status in ACTIVE_REGISTRATION:
        return True, f"{reason}, but the trial is still {status}: counted as current"
    return new, reason


def _first_appeared_after(record: Mapping[str, Any], essay: date) -> tuple[bool, str]:
    """Whether the record first appeared after the essay, and the date that decided it."""
    after, before = f"after {essay.isoformat()}", f"not after {essay.isoformat()}"
    published = [
        (f"{label} {record.get(key)}", period)
        for label, key in (("published online", "epub_date"), ("published", "pub_date"))
        if (period := _period(record.get(key))) is not None
    ]
    label = ", ".join(text for text, _ in published)
    if published:
        first = min(start for _, (start, _) in published)
        last = min(end for _, (_, end) in published)
        if first > essay:
            return True, f"{label}, {after}"
        if last <= essay:
            return False, f"{label}, {before}"
    for name, key in (
        ("entered PubMed", "entrez_date"),
        ("registered", "registration_date"),
        ("registered", "first_posted"),
        ("trial start", "start_date"),
    ):
        period = _period(record.get(key))
        if period is None:
            continue
        start, end = period
        value = f"{name} {record.get(key)}"
        if published:
            value = f"{label} spans the essay date; {value}"
        if start > essay:
            return True, f"{value}, {after}"
        if end <= essay:
            return False, f"{value}, {before}"
        return True, f"{value} spans {essay.isoformat()}; counted as new"
    if published:
        return True, f"{label} spans {essay.isoformat()}; counted as new"
    if "Trial Registration" in (record.get("publication_types") or []):
        # a registration with no date and no active status: nothing shows it is new
        return False, "no registration or start date: not known to be new"
    return True, "no date; counted as new so that it is screened"
