"""The facets of a findings search, each declared once as a class in FACETS: what its counts are
grouped by in the one pass (engine.py), how a count becomes options and labels, their order, and
which of its values a listed finding shows.

A facet counts the matches that every filter but its own keeps, so its options read as "how many
if I also ticked this". The text query and the dates have no facet and always apply.
"""

import functools
import operator
from dataclasses import dataclass

from django.db.models import Q

from ..choices import IMPROVEMENT_KINDS, FindingKindFilter, Grade, InspectionKind, Region
from .cache import Labels
from .query import SearchTerms

IMPROVEMENT = FindingKindFilter.IMPROVEMENT.value  # the finding-type filter's "All improvement points"

# A facet's counts by option value: (label, count). A count of None: a value the page shows that
# the sample is too small to estimate (see Facet.shown).
Options = dict[str, tuple[str, int | None]]


@dataclass
class FacetOption:
    value: str
    label: str
    count: int | None  # None: in the results shown, but too rare in the sample to estimate
    selected: bool


@dataclass
class FacetResult:
    """A facet as the page shows it: every option with a count, and every one ticked."""

    name: str
    label: str
    options: list[FacetOption]


class Facet:
    """A filter's facet, counted by `column` (a finding's column; the one pass tallies the matches by
    their combinations of every facet's column) and offered as `choices` in their order, or, with
    none, as the archive's values in order of their labels."""

    name: str
    column: str | None = None
    choices: dict[str, str] | None = None

    def tally_sql(self, condition: str, *, every_finding: bool, tallied: bool) -> str:
        """A SELECT of (facet, key, count, NULL) for each value the combinations that the condition
        keeps (`combo`, engine.ONE_PASS_SQL) hold; every_finding: the matches are the whole archive;
        tallied: the combinations are FindingTally's (`theme_set` its themes' rows)."""
        return (
            f"SELECT '{self.name}', {self.column}::text, sum(n)::bigint, NULL::bigint[] "
            f"FROM combo WHERE {condition} GROUP BY {self.column}"
        )

    def options(self, key: str, labels: Labels) -> list[tuple[str, str]]:
        """The options (value, label) that a tallied key counts for."""
        return [(key, self.choices.get(key, key))]

    def shown(self, finding, labels: Labels) -> list[tuple[str, str]]:
        """The options (value, label) a listed finding shows."""
        value = getattr(finding, self.column)
        return [] if value is None else [(value, self.choices.get(value, value))]

    def completed(self, options: Options) -> Options:
        """The options with any that are counted from the others."""
        return options

    def chosen_option(self, item) -> tuple[str, str]:
        """The option (value, label) of a chosen model instance (a facet without choices)."""
        raise NotImplementedError

    def result(self, counts: Options, terms: SearchTerms) -> FacetResult:
        """The facet as the page shows it: every option counted, and every one ticked."""
        ticked = terms.given[self.name]
        if self.choices is not None:
            labels = self.choices
        else:
            chosen = dict(map(self.chosen_option, terms.chosen[self.name]))
            labels = {value: label for value, (label, _) in counts.items()} | chosen
        options = [
            FacetOption(value, label, counts.get(value, ("", 0))[1], value in ticked)
            for value, label in labels.items()
            if value in counts or value in ticked
        ]
        if self.choices is None:
            options.sort(key=lambda option: option.label.lower())
        return FacetResult(self.name, terms.labels[self.name], options)


class ChoiceFacet(Facet):
    """A facet of one of the finding's own columns, whose values are a vocabulary's."""

    def __init__(self, name: str, choices):
        self.name = self.column = name
        self.choices = dict(choices.choices)


class KindFacet(ChoiceFacet):
    """The finding type, with "All improvement points" first: the sum of its kinds' counts, each
    finding being of one kind (summed before any scaling, so an estimate of it is rounded once, as
    every other count is)."""

    def completed(self, options: Options) -> Options:
        improvement = sum(n for kind, (_, n) in options.items() if kind in IMPROVEMENT_KINDS)
        if not improvement:
            return options
        return {IMPROVEMENT: (self.choices[IMPROVEMENT], improvement), **options}

    def shown(self, finding, labels: Labels) -> list[tuple[str, str]]:
        shown = super().shown(finding, labels)
        if finding.kind in IMPROVEMENT_KINDS:
            shown.append((IMPROVEMENT, self.choices[IMPROVEMENT]))
        return shown


class AuthorityFacet(Facet):
    name, column = "authority", "authority_id"

    def options(self, key: str, labels: Labels) -> list[tuple[str, str]]:
        return self._of(int(key), labels)

    def shown(self, finding, labels: Labels) -> list[tuple[str, str]]:
        return self._of(finding.authority_id, labels)

    def chosen_option(self, authority) -> tuple[str, str]:
        return authority.slug, authority.short_name

    def _of(self, pk: int | None, labels: Labels) -> list[tuple[str, str]]:
        if pk not in labels.authorities:
            return []
        slug, name, _ = labels.authorities[pk]
        return [(slug, name)]


class RegionFacet(Facet):
    """The authority's region: counted by authority, each authority's count added to its region's."""

    name, column = "region", "authority_id"
    choices = dict(Region.choices)

    def options(self, key: str, labels: Labels) -> list[tuple[str, str]]:
        return self._of(int(key), labels)

    def shown(self, finding, labels: Labels) -> list[tuple[str, str]]:
        return self._of(finding.authority_id, labels)

    def _of(self, pk: int | None, labels: Labels) -> list[tuple[str, str]]:
        if pk not in labels.authorities:
            return []
        region = labels.authorities[pk][2]
        return [(region, self.choices[region])]


# unnest() in the select list streams each set's ids, where LATERAL builds a tuple store per set
# (5 to 15 % less time for the whole pass).
THEME_TALLY = """
SELECT 'theme', theme_id::text, sum(n)::bigint, NULL::bigint[]
FROM (SELECT unnest(theme_ids) AS theme_id, n FROM theme_set WHERE {condition}) AS tagged GROUP BY theme_id
"""
# FindingTally's themes' rows: one theme each.
TALLIED_THEME_TALLY = """
SELECT 'theme', theme_id::text, sum(n)::bigint, NULL::bigint[] FROM theme_set WHERE {condition} GROUP BY theme_id
"""
# When the theme counts cover every finding, the tags table gives them in a fraction of the time.
EVERY_THEME_TALLY = """
SELECT 'theme', theme_id::text, count(*), NULL::bigint[] FROM inspections_findingtheme GROUP BY theme_id
"""


class ThemeFacet(Facet):
    """The finding's themes, a set of them each: tallied from the matches grouped by their sets of
    themes (`theme_set`), each set's count added to each of its themes'."""

    name = "theme"

    def tally_sql(self, condition: str, *, every_finding: bool, tallied: bool) -> str:
        if tallied:
            return TALLIED_THEME_TALLY.format(condition=condition)
        return EVERY_THEME_TALLY if every_finding else THEME_TALLY.format(condition=condition)

    def options(self, key: str, labels: Labels) -> list[tuple[str, str]]:
        theme = labels.themes.get(int(key))
        return [] if theme is None else [theme]

    def shown(self, finding, labels: Labels) -> list[tuple[str, str]]:
        return [labels.themes[pk] for pk in finding.theme_ids if pk in labels.themes]

    def chosen_option(self, theme) -> tuple[str, str]:
        return theme.slug, theme.name


FACETS: dict[str, Facet] = {
    facet.name: facet
    for facet in [
        AuthorityFacet(),
        RegionFacet(),
        ChoiceFacet("inspection_kind", InspectionKind),
        ThemeFacet(),
        KindFacet("kind", FindingKindFilter),
        ChoiceFacet("grade", Grade),
    ]
}
# The columns the one pass groups the matches by: every facet's, once.
COMBO_COLUMNS = tuple(dict.fromkeys(facet.column for facet in FACETS.values() if facet.column))


def with_values_shown(options: dict[str, Options], findings: list, labels: Labels) -> dict[str, Options]:
    """Estimated facets, with every value the page's findings show that the sample missed (a count
    of None: too few to estimate), so whatever the results show can be chosen as a filter."""
    options = {name: dict(values) for name, values in options.items()}
    for finding in findings:
        for name, facet in FACETS.items():
            for value, label in facet.shown(finding, labels):
                options[name].setdefault(value, (label, None))
    return options


def always(conditions: dict[str, Q]) -> list[Q]:
    """The conditions every count obeys: those of the filters without a facet (the text, the dates)."""
    return [condition for name, condition in conditions.items() if name not in FACETS]


def flagged(conditions: dict[str, Q]) -> dict[str, Q]:
    """The facet filters' conditions, by name: each a flag in the one pass, which its facet ignores."""
    return {name: condition for name, condition in conditions.items() if name in FACETS}


def read_conditions(conditions: dict[str, Q]) -> list[Q]:
    """What the facet counts read: the findings the text and dates keep that at most one facet
    filter turns away (one that two filters turn away counts in no facet)."""
    read, flags = always(conditions), flagged(conditions)
    if len(flags) > 1:
        read.append(
            functools.reduce(
                operator.or_,
                (
                    functools.reduce(operator.and_, [c for other, c in flags.items() if other != name])
                    for name in flags
                ),
            )
        )
    return read
