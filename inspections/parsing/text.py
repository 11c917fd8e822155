"""Small text helpers shared by the report families."""

import re
import unicodedata

_REPLACEMENTS = {
    "\u00a0": " ",  # non-breaking space
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",
    "\ufeff": "",
    "\u00ad": "",  # soft hyphen
    "\ufffe": "-",  # PDFium's mark for a hyphen at a line break ("out\ufffeof-hours")
    "\u2018": "'",
    "\u2019": "'",
    "\u02bc": "'",  # modifier letter apostrophe
    "\u00b4": "'",  # acute accent used as an apostrophe
    "\u2032": "'",  # prime
    "\u201c": '"',
    "\u201d": '"',
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\r\n": "\n",
    "\r": "\n",
}
_REPLACE_RE = re.compile("|".join(re.escape(key) for key in _REPLACEMENTS))


def normalise(text: str) -> str:
    """Tidy extracted text: one newline style, plain spaces and quotes, no ligatures."""
    text = unicodedata.normalize("NFC", text)
    return _REPLACE_RE.sub(lambda match: _REPLACEMENTS[match.group(0)], text)


def squash(text: str) -> str:
    """Collapse runs of whitespace into single spaces."""
    return re.sub(r"\s+", " ", text).strip()
