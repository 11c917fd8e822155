"""The orders findings are listed in, and which one a search gets when none is chosen."""

from django.contrib.postgres.search import SearchRank
from django.db.models import F, QuerySet

from .query import SEARCH_CONFIG, search_query

SORTS = {
    "relevance": "Most relevant",
    "newest": "Newest first",
    "oldest": "Oldest first",
}
ORDERINGS = {
    "relevance": ("-rank", "-inspection_date", "inspection_id", "order"),
    "newest": ("-inspection_date", "-inspection_id", "order"),
    "oldest": ("inspection_date", "inspection_id", "order"),
}
# The same orders in the one pass's SQL (engine.py), over its columns.
SQL_ORDERINGS = {
    "relevance": 'rank DESC, inspection_date DESC, inspection_id, "order"',
    "newest": 'inspection_date DESC, inspection_id DESC, "order"',
    "oldest": 'inspection_date, inspection_id, "order"',
}


def rank(text: str) -> SearchRank:
    return SearchRank(F("search_vector"), search_query(text), cover_density=True)


def rank_sql(vector: str, text: str) -> tuple[str, list]:
    """rank(text) of the search vector column `vector`, as SQL with its parameters: the statement
    the ORM compiles it to (tests/test_performance_correctness.py compares the two), written out
    because compiling it took a rare word's search a fortieth of its time."""
    return f"ts_rank_cd({vector}, websearch_to_tsquery(%s::regconfig, %s))", [SEARCH_CONFIG, text]


def chosen_sort(sort: str | None, has_text: bool) -> str | None:
    """The order asked for, if a search with or without a text query can have it (relevance needs
    one; a filter in error leaves a search none); None leaves it to the search (default_sort)."""
    return sort if sort in SORTS and (sort != "relevance" or has_text) else None


def default_sort(has_text: bool, *, estimated: bool = False) -> str:
    """Most relevant first for a text query, unless its counts are estimated: ranking every one of
    tens of thousands of matches would take longer than the rest of the request together, so the
    newest come first and relevance stays one choice away. Without text, the newest first."""
    return "relevance" if has_text and not estimated else "newest"


def ordered(findings: QuerySet, sort: str, text: str) -> QuerySet:
    """The findings in the order asked for (ranked only where there is a text to rank by)."""
    if sort == "relevance" and text:
        return findings.annotate(rank=rank(text)).order_by(*ORDERINGS["relevance"])
    return findings.order_by(*ORDERINGS["oldest" if sort == "oldest" else "newest"])
