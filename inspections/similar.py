"""Similar findings in other authorities: the findings that share a finding's most telling words.

A word is telling as it is rare: each of a finding's lexemes weighs its inverse document frequency,
log(N / how many findings hold it), read from the Lexeme table (kept by triggers, migration 0014).
Candidates are the findings holding two or more of its rarest lexemes, taken rarest first while
their findings add up to no more than CANDIDATE_BUDGET, so the work is bounded whatever the archive's
size (the GIN index of search_vector finds them). Each candidate is scored by the weight of all the
finding's lexemes it shares, over the finding's own weight, scaled by the square root of the ratio of
their lengths (a long paragraph shares more words by chance): roughly the cosine of the two texts'
weighted words. Same kind of finding first, then the most similar; never the finding's own authority,
nor the councils it took over from or that took over from it (the same children's services under
another name), though a council that took over alongside it (a sibling of a split) is another.

Measured on the dev corpus (21,786 findings), 200 findings at random, warm: see the commit message.
"""

import math
from dataclasses import dataclass
from datetime import date
from itertools import combinations

from django.db import connection
from django.urls import reverse

from .choices import FindingKind, InspectionKind

SIMILAR_AT_MOST = 10
# A candidate sharing less than this is not shown: a few common words in common are not a likeness.
LEAST_SIMILARITY = 0.15
VERY_SIMILAR = 0.45
# How many findings the chosen lexemes may be held by, together: 2,000 keeps the slowest of 200
# findings under 30 ms at the dev corpus's size (4,000: 24 ms p95, and hardly better matches).
CANDIDATE_BUDGET = 2000
TELLING_AT_MOST = 12
SCORED_AT_MOST = 24

FINDING_LEXEMES = """
SELECT finding.kind, finding.authority_id, length(finding.search_vector), lexeme.lexeme, lexeme.findings
FROM inspections_finding AS finding
CROSS JOIN LATERAL unnest(tsvector_to_array(ts_filter(finding.search_vector, '{a}'))) AS held(lexeme)
JOIN inspections_lexeme AS lexeme USING (lexeme)
WHERE finding.id = %s
"""
FINDINGS_HELD = """
SELECT CASE WHEN reltuples > 0 THEN reltuples::bigint ELSE (SELECT count(*) FROM inspections_finding) END
FROM pg_class WHERE oid = 'inspections_finding'::regclass
"""
# The authority, the councils it took over from and those that took over from it, at any remove.
LINEAGE_SQL = """
WITH RECURSIVE earlier(id) AS (
    SELECT %(authority)s::bigint
    UNION SELECT link.from_authority_id FROM inspections_authority_replaced_by AS link
          JOIN earlier ON link.to_authority_id = earlier.id
), later(id) AS (
    SELECT %(authority)s::bigint
    UNION SELECT link.to_authority_id FROM inspections_authority_replaced_by AS link
          JOIN later ON link.from_authority_id = later.id
)
SELECT array_agg(id) FROM (SELECT id FROM earlier UNION SELECT id FROM later) AS lineage
"""
# {shared}: the sum of the weights of the finding's lexemes a candidate holds, one CASE each.
SIMILAR_SQL = """
SELECT * FROM (
    SELECT candidate.id, candidate.inspection_id, candidate.order, candidate.kind, candidate.text,
           candidate.authority_id, authority.short_name, authority.slug, candidate.inspection_kind,
           candidate.inspection_date,
           least(({shared}) / %(weight)s * sqrt(%(length)s::float8 / greatest(length(candidate.search_vector), 1)),
                 1.0) AS similarity
    FROM inspections_finding AS candidate
    JOIN inspections_authority AS authority ON authority.id = candidate.authority_id
    WHERE candidate.search_vector @@ %(candidates)s::tsquery AND candidate.authority_id <> ALL(%(lineage)s)
) AS scored
WHERE similarity >= %(least)s
ORDER BY kind = %(kind)s DESC, similarity DESC, id
LIMIT %(limit)s
"""


@dataclass
class SimilarFinding:
    id: int
    inspection_id: int
    order: int
    kind: str
    text: str
    authority_id: int
    authority_name: str
    authority_slug: str
    inspection_kind: str
    inspection_date: date | None
    similarity: float

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)

    @property
    def band(self) -> str:
        return "Very similar" if self.similarity >= VERY_SIMILAR else "Similar"

    @property
    def kind_label(self) -> str:
        return FindingKind(self.kind).label

    @property
    def inspection_label(self) -> str:
        return InspectionKind(self.inspection_kind).label

    @property
    def url(self) -> str:
        return f"{reverse('inspection-detail', args=[self.inspection_id])}#finding-{self.order}"


def _lexeme_query(lexeme: str) -> str:
    """A tsquery of one lexeme, in the finding's text only (weight A)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "':A"


def telling_lexemes(counts: dict[str, int]) -> list[str]:
    """The rarest lexemes (by how many findings hold them), while together they are held by no more
    than CANDIDATE_BUDGET findings; two at least, TELLING_AT_MOST at most."""
    chosen, held = [], 0
    for lexeme in sorted(counts, key=lambda lexeme: (counts[lexeme], lexeme)):
        if len(chosen) >= 2 and (held + counts[lexeme] > CANDIDATE_BUDGET or len(chosen) >= TELLING_AT_MOST):
            break
        chosen.append(lexeme)
        held += counts[lexeme]
    return chosen


def similar_findings(finding_id: int, at_most: int = SIMILAR_AT_MOST) -> list[SimilarFinding]:
    """Up to at_most findings of other authorities most like this one: those of the same kind
    first, each with its similarity (0 to 1)."""
    with connection.cursor() as cursor:
        cursor.execute(FINDING_LEXEMES, [finding_id])
        rows = cursor.fetchall()
        if not rows:
            return []
        kind, authority_id, length = rows[0][:3]
        # Held by another finding (this one counts itself), and words, not numbers or dates.
        counts = {lexeme: held for *_, lexeme, held in rows if held >= 2 and not lexeme.isdigit()}
        if len(counts) < 2:
            return []
        cursor.execute(FINDINGS_HELD)
        findings_held = max(cursor.fetchone()[0], max(counts.values()))
        # Its SCORED_AT_MOST rarest lexemes weigh what it is about: the commonest add little weight
        # and as much work for every candidate.
        scored = sorted(counts, key=lambda lexeme: (counts[lexeme], lexeme))[:SCORED_AT_MOST]
        weights = {lexeme: math.log((findings_held + 1) / counts[lexeme]) for lexeme in scored}
        telling = telling_lexemes(counts)
        candidates = " | ".join(
            f"({_lexeme_query(a)} & {_lexeme_query(b)})" for a, b in combinations(telling, 2)
        )
        shared = " + ".join(
            f"CASE WHEN candidate.search_vector @@ %(lexeme_{i})s::tsquery THEN %(weight_{i})s ELSE 0 END"
            for i in range(len(weights))
        )
        cursor.execute(LINEAGE_SQL, {"authority": authority_id})
        params = {
            "weight": sum(weights.values()),
            "length": length,
            "candidates": candidates,
            "lineage": cursor.fetchone()[0],
            "kind": kind,
            "least": LEAST_SIMILARITY,
            "limit": at_most,
        }
        for i, (lexeme, weight) in enumerate(weights.items()):
            params[f"lexeme_{i}"], params[f"weight_{i}"] = _lexeme_query(lexeme), weight
        cursor.execute(SIMILAR_SQL.format(shared=shared), params)
        return [SimilarFinding(*row) for row in cursor.fetchall()]
