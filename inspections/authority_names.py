"""Matching the authority name a report prints to a row of the authority table.

Reports name councils in many ways: "Metropolitan Borough of Barnsley Council", "Leeds City",
"East Riding", "Bristol City of", "Bournemouth, Christchurch and Poole". Every authority carries
its official name, short name and the alternative names from mySociety's register; both sides are
reduced to a comparable form, first keeping and then dropping the generic words of council names.
Where a name fits more than one authority (the old Somerset County Council and today's Somerset
Council), the one that existed on the inspection's date wins.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

# Words that say what sort of council it is rather than which one.
GENERIC = {
    "the", "council", "borough", "county", "city", "of", "metropolitan", "district", "royal", "london",
    "local", "authority", "authoritys", "corporation", "ua", "unitary", "mbc", "cc", "bc", "and", "childrens",
    "services",
}  # fmt: skip
# Compass points and "upon" stay: they tell North Somerset from Somerset.
ABBREVIATIONS = {"st": "saint", "e": "east", "n": "north", "s": "south", "w": "west"}


def normalise(name: str) -> str:
    name = name.lower().replace("&", " and ").replace("'", "").replace("’", "")
    words = re.findall(r"[a-z0-9]+", name)
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def core(name: str) -> str:
    """The distinctive words of a name: 'London Borough of Barking & Dagenham' -> 'barking dagenham'."""
    return " ".join(word for word in normalise(name).split() if word not in GENERIC)


@dataclass(frozen=True)
class Candidate:
    pk: int
    start_date: date | None
    end_date: date | None

    def existed_on(self, when: date) -> bool:
        return (self.start_date is None or self.start_date <= when) and (
            self.end_date is None or when < self.end_date
        )


class AuthorityMatcher:
    """An in-memory index of every authority's names (161 rows: built once per command or request)."""

    def __init__(self, authorities):
        self.exact: dict[str, list[Candidate]] = defaultdict(list)
        self.cores: dict[str, list[Candidate]] = defaultdict(list)
        for authority in authorities:
            candidate = Candidate(authority.pk, authority.start_date, authority.end_date)
            for name in {authority.name, authority.short_name, *authority.alternative_names}:
                if candidate not in self.exact[normalise(name)]:
                    self.exact[normalise(name)].append(candidate)
                if core(name) and candidate not in self.cores[core(name)]:
                    self.cores[core(name)].append(candidate)

    def match(self, printed_name: str, on: date | None = None) -> int | None:
        """The primary key of the authority a printed name refers to, or None."""
        if not printed_name.strip():
            return None
        for candidates in (self.exact.get(normalise(printed_name)), self.cores.get(core(printed_name))):
            if candidates:
                return self._choose(candidates, on)
        return self._by_shortened_name(core(printed_name), on)

    def _by_shortened_name(self, printed_core: str, on: date | None) -> int | None:
        """A shortened name ("East Riding" for East Riding of Yorkshire), when it fits one authority only."""
        if len(printed_core.split()) < 2:
            return None
        candidates = {
            candidate
            for name, named in self.cores.items()
            if name.startswith(printed_core + " ")
            for candidate in named
        }
        if not candidates:
            return None
        pks = {candidate.pk for candidate in candidates if on is None or candidate.existed_on(on)}
        return pks.pop() if len(pks) == 1 else None

    @staticmethod
    def _choose(candidates: list[Candidate], on: date | None) -> int:
        if len(candidates) > 1 and on is not None:
            alive = [candidate for candidate in candidates if candidate.existed_on(on)]
            candidates = alive or candidates
        if len(candidates) > 1:
            current = [candidate for candidate in candidates if candidate.end_date is None]
            candidates = current or candidates
        return candidates[0].pk


def authorities_named(text: str, authorities) -> list:
    """The authorities a text such as a report's title names, by any of their names, as whole words."""
    words = f" {core(text)} "
    return [
        authority
        for authority in authorities
        if any(
            named and f" {named} " in words
            for named in map(core, {authority.name, authority.short_name, *authority.alternative_names})
        )
    ]
