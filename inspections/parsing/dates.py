"""Dates as Ofsted prints them.

"10 and 11 May 2011", "27 September to 8 October 2021", "13 November 2017 to 24 November 2017",
"2 June 2014 – 25 June 2014", "19 November–30 November 2018", "11 – 22 July 2022",
"on 13 October 2020", with non-breaking spaces and digits split by a space ("1 9 May"). A range
printed without its year ("Between 20 and 24 June, Ofsted ...") takes the year of a date the caller
knows to follow it (a letter's date).
"""

import re
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
_DAY = r"(?:[0-3]?\s?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:(?:19|20)\s?\d\s?\d)"
_DASH = r"\s*(?:-|–|—|to|and|until)\s*"
_OF = r"(?:\s+of)?"  # "the 15 and 16 of May 2018"

DATE_RE = re.compile(rf"(?P<day>{_DAY}){_OF}\s+(?P<month>{_MONTH})\s*,?\s+(?P<year>{_YEAR})", re.IGNORECASE)
RANGE_RE = re.compile(
    rf"(?P<d1>{_DAY})(?:{_OF}\s+(?P<m1>{_MONTH}))?(?:\s*,?\s+(?P<y1>{_YEAR}))?"
    rf"{_DASH}"
    rf"(?P<d2>{_DAY}){_OF}\s+(?P<m2>{_MONTH})\s*,?\s+(?P<y2>{_YEAR})",
    re.IGNORECASE,
)

# "20 and 24 June", "16 May and 20 May": a range whose year is left to the letter around it.
YEARLESS_RANGE_RE = re.compile(
    rf"(?P<d1>{_DAY})(?:\s+(?P<m1>{_MONTH}))?{_DASH}(?P<d2>{_DAY})\s+(?P<m2>{_MONTH})(?!\s*,?\s+{_YEAR})",
    re.IGNORECASE,
)


def _digits(value: str) -> int:
    return int(re.sub(r"\D", "", value))


def _make(day: str, month: str, year: str) -> date | None:
    try:
        return date(_digits(year), MONTHS[month.lower().rstrip(".")], _digits(day))
    except (ValueError, KeyError):
        return None


def parse_date(text: str) -> date | None:
    """The first full date (day, month, year) in the text, or None."""
    for match in DATE_RE.finditer(_tidy(text)):
        value = _make(match["day"], match["month"], match["year"])
        if value:
            return value
    return None


def parse_date_range(text: str, *, before: date | None = None) -> tuple[date | None, date | None]:
    """The first date range in the text as (start, end); a single date gives (d, d).

    With `before` (a date the range cannot follow, such as the letter's), a range printed without a
    year is read in the latest year that puts its end on or before that date.
    """
    text = _tidy(text)
    for match in RANGE_RE.finditer(text):
        end = _make(match["d2"], match["m2"], match["y2"])
        if not end:
            continue
        start_month = match["m1"] or match["m2"]
        start_year = match["y1"] or match["y2"]
        start = _make(match["d1"], start_month, start_year)
        if start and start > end and not match["y1"]:
            # "29 December to 9 January 2020": the start is in the year before
            start = _make(match["d1"], start_month, str(_digits(start_year) - 1))
        if start and start <= end:
            return start, end
    single = parse_date(text)
    if single is None and before is not None:
        return _yearless_range(text, before)
    return single, single


def _yearless_range(text: str, before: date) -> tuple[date | None, date | None]:
    for match in YEARLESS_RANGE_RE.finditer(text):
        for year in (before.year, before.year - 1):
            end = _make(match["d2"], match["m2"], str(year))
            start = _make(match["d1"], match["m1"] or match["m2"], str(year))
            if start and end and start <= end <= before:
                return start, end
    return None, None


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))
