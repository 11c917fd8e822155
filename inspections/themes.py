"""Tagging findings with practice themes, in set-based SQL.

A theme's rules (Theme.phrases) are plain phrases, one per line. PostgreSQL reads each one into its
stemmed words and their relative positions (to_tsvector('english', phrase)), and a finding matches
a phrase where its text (weight A of Finding.search_vector; the section heading does not count) has
those words at those positions: what phraseto_tsquery matches, except that a very common word the
phrase skips cannot stand for another word ("child's plan" does not match "child protection plan").
Working with positions rather than a bare `@@` lets an exclusion ("supervised contact") cancel just
the matches inside it, and records which phrases matched (FindingTheme.matched), so a reader can see
why a finding carries a theme. The full-text (GIN) index narrows the findings that can hold a phrase
of several words.

Supporting phrases (Theme.supporting_phrases) are words too common to say on their own that a finding
is about the theme ('leaders', 'culture', 'court'): one tags it only together with a different one of
the theme's phrases or supporting phrases, or when the heading the finding sits under (weight C of
the vector) mentions the theme; `matched` then names that heading. Measured against findings read by
two independent readers (manage.py score_themes), passing mentions were most of the wrong tags.

Tagging a batch of findings, or re-tagging the whole archive, is one SQL statement over all rows,
never a loop over them.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass

from django.db import connection, transaction

from .models import rule_lines
from .theme_model import GIVEN_WORDS, STORED_WORDS, decide, load_model

# Every rule line of every theme in scope: (theme_id, role, phrase).
THEME_RULES = """
SELECT DISTINCT theme.id AS theme_id, line.role, btrim(line.phrase) AS phrase
FROM inspections_theme AS theme
CROSS JOIN LATERAL (
    SELECT 'phrase' AS role, phrase FROM regexp_split_to_table(theme.phrases, '\\s*\\n\\s*') AS phrase
    UNION ALL
    SELECT 'support', phrase FROM regexp_split_to_table(theme.supporting_phrases, '\\s*\\n\\s*') AS phrase
    UNION ALL
    SELECT 'exclusion', phrase FROM regexp_split_to_table(theme.exclusions, '\\s*\\n\\s*') AS phrase
) AS line
WHERE btrim(line.phrase) <> '' AND (%(themes)s::bigint[] IS NULL OR theme.id = ANY(%(themes)s))
"""

# Rules given as parameters (an unsaved theme in the admin form): theme_id 0.
GIVEN_RULES = """
SELECT 0::bigint AS theme_id, line.role, line.phrase
FROM unnest(%(roles)s::text[], %(phrases)s::text[]) AS line(role, phrase)
"""

STORED_FINDINGS = """
SELECT finding.id, finding.search_vector AS vector
FROM inspections_finding AS finding
WHERE %(findings)s::bigint[] IS NULL OR finding.id = ANY(%(findings)s)
"""

# Unsaved texts (and the headings they sit under), indexed as Finding.search_vector indexes a finding;
# id = position in the list.
GIVEN_TEXTS = """
SELECT item.position AS id,
       setweight(to_tsvector('english', translate(item.text, '<>', '  ')), 'A')
       || setweight(to_tsvector('english', translate(coalesce(item.section, ''), '<>', '  ')), 'C') AS vector
FROM unnest(%(texts)s::text[], %(sections)s::text[]) WITH ORDINALITY AS item(text, section, position)
"""


# The (finding, theme, matched phrases) tags the rules give: the shared core of every query below.
MATCHES = """
rule AS (
    SELECT row_number() OVER () AS line_id, given.* FROM ({rules}) AS given
),
finding AS {materialized} ({findings}),
rule_word AS (
    -- each word of each rule line, at its offset from the line's first word
    SELECT rule.line_id, word.lexeme,
           place.position - min(place.position) OVER line AS word_offset,
           count(*) OVER line AS size
    FROM rule
    CROSS JOIN LATERAL unnest(to_tsvector('english', rule.phrase)) AS word
    CROSS JOIN LATERAL unnest(word.positions) AS place(position)
    WINDOW line AS (PARTITION BY rule.line_id)
),
line AS (
    SELECT rule.line_id, rule.theme_id, rule.role, rule.phrase,
           phraseto_tsquery('english', rule.phrase) AS query, count(*) AS size,
           max(rule_word.word_offset) AS span, array_agg(rule_word.word_offset) AS offsets
    FROM rule JOIN rule_word USING (line_id)
    GROUP BY 1, 2, 3, 4
),
token AS (
    -- the words of the findings' text (weight A) and section heading (weight C) that some rule uses
    SELECT finding.id AS finding_id, word.lexeme, place.position, place.weight <> 'A' AS heading
    FROM finding
    CROSS JOIN LATERAL unnest(finding.vector) AS word
    CROSS JOIN LATERAL unnest(word.positions, word.weights) AS place(position, weight)
    WHERE word.lexeme IN (SELECT lexeme FROM rule_word)
),
hit AS (
    -- each place a line occurs in a finding's text or heading: all its words at their offsets from `start`
    SELECT token.finding_id, rule_word.line_id, token.position AS start, token.heading
    FROM token JOIN rule_word USING (lexeme)
    WHERE rule_word.size = 1
    UNION ALL
    SELECT token.finding_id, rule_word.line_id, token.position - rule_word.word_offset, token.heading
    -- the findings' own words joined to the lines' (a 250-finding report in 60-70 ms; testing each line
    -- against each finding's vector through the full-text index took 400-900)
    FROM token JOIN rule_word USING (lexeme)
    WHERE rule_word.size > 1
    GROUP BY 1, 2, 3, 4
    HAVING count(*) = min(rule_word.size)
),
whole_hit AS (
    -- the places a line skips (its very common words) hold no indexed word in the finding either:
    -- "child's plan" matches "child's plan" but not "child protection plan"
    SELECT hit.finding_id, hit.start, hit.heading, line.theme_id, line.role, line.phrase, line.span
    FROM hit JOIN line USING (line_id)
    WHERE line.span + 1 = line.size OR NOT EXISTS (
        SELECT FROM finding
        CROSS JOIN LATERAL unnest(finding.vector) AS word
        CROSS JOIN LATERAL unnest(word.positions) AS place(position)
        WHERE finding.id = hit.finding_id
          AND place.position BETWEEN hit.start AND hit.start + line.span
          AND place.position - hit.start <> ALL (line.offsets)
    )
),
mention AS (
    -- the occurrences of phrases and supporting phrases that no exclusion of the same theme covers
    SELECT hit.*
    FROM whole_hit AS hit
    WHERE hit.role <> 'exclusion' AND NOT EXISTS (
        SELECT FROM whole_hit AS exclusion
        WHERE exclusion.role = 'exclusion'
          AND exclusion.finding_id = hit.finding_id AND exclusion.theme_id = hit.theme_id
          AND exclusion.start <= hit.start AND hit.start + hit.span <= exclusion.start + exclusion.span
    )
),
outer_mention AS (
    -- each mention not inside a longer one of the same theme ("leaders" in "senior leaders"): no
    -- mention before it in (start, longest first) order reaches as far
    SELECT * FROM (
        SELECT mention.*, max(mention.start + mention.span) OVER (
            PARTITION BY mention.finding_id, mention.theme_id, mention.heading
            ORDER BY mention.start, mention.span DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS reach
        FROM mention
    ) AS placed
    WHERE reach IS NULL OR reach < start + span
),
phrase_hit AS (
    SELECT finding_id, theme_id, heading, role, phrase, min(start) AS first
    FROM outer_mention
    GROUP BY 1, 2, 3, 4, 5
),
text_mentions AS (
    SELECT finding_id, theme_id, count(DISTINCT phrase) AS mentions
    FROM outer_mention
    WHERE NOT heading
    GROUP BY 1, 2
),
tag_reason AS (
    -- a phrase in the text is enough; a supporting phrase needs company: a second mention of the
    -- theme in the text, or a mention in the heading the finding sits under
    SELECT finding_id, theme_id,
           string_agg(phrase, ', ' ORDER BY first, phrase) FILTER (WHERE NOT heading) AS in_text,
           string_agg(phrase, ', ' ORDER BY first, phrase) FILTER (WHERE heading) AS in_heading,
           bool_or(role = 'phrase' AND NOT heading) OR max(text_mentions.mentions) >= 2 AS by_text
    FROM phrase_hit LEFT JOIN text_mentions USING (finding_id, theme_id)
    GROUP BY 1, 2
),
tag AS (
    SELECT finding_id, theme_id,
           left(
               CASE WHEN by_text THEN in_text ELSE in_text || ' (under the heading ‘' || in_heading || '’)' END,
               300
           ) AS matched
    FROM tag_reason
    WHERE in_text IS NOT NULL AND (by_text OR in_heading IS NOT NULL)
)"""

# What every theme's rules match in each finding (or unsaved text): (finding id, theme slug, phrases).
SLUG_TAGS = """
SELECT tag.finding_id, theme.slug, tag.matched
FROM tag JOIN inspections_theme AS theme ON theme.id = tag.theme_id
"""
TEXT_TAGS = (
    "WITH" + MATCHES.format(rules=THEME_RULES, findings=GIVEN_TEXTS, materialized="MATERIALIZED") + SLUG_TAGS
)

# Which phrases each exclusion contains (the exclusions play the part of findings).
EXCLUSION_COVERS = (
    "WITH"
    + MATCHES.format(rules=GIVEN_RULES, findings=GIVEN_TEXTS, materialized="MATERIALIZED")
    + """
SELECT finding_id FROM tag
"""
)

LINE_WORDS = """
SELECT line.phrase,
       coalesce(array_agg(word.lexeme ORDER BY place.position) FILTER (WHERE word.lexeme IS NOT NULL), '{}'),
       coalesce(array_agg(place.position ORDER BY place.position) FILTER (WHERE word.lexeme IS NOT NULL), '{}')
FROM unnest(%(phrases)s::text[]) WITH ORDINALITY AS line(phrase, n)
LEFT JOIN LATERAL unnest(to_tsvector('english', line.phrase)) AS word ON true
LEFT JOIN LATERAL unnest(word.positions) AS place(position) ON true
GROUP BY line.phrase, line.n
ORDER BY line.n
"""


@dataclass(frozen=True)
class TagCounts:
    """What a (re)tagging changed: tags added, tags removed, tags whose matched words changed."""

    added: int = 0
    removed: int = 0
    changed: int = 0

    def __str__(self):
        return f"{self.added} tags added, {self.removed} removed, {self.changed} with new matched words"


def _ids(rows) -> list[int] | None:
    if rows is None:
        return None
    if hasattr(rows, "values_list"):
        return list(rows.values_list("pk", flat=True))
    return [row.pk for row in rows]


# Findings tagged per statement when the whole archive is re-tagged (the rules' query grows faster
# than its batch: 500 findings 0.1 s, 4,000 2.6 s).
CHUNK = 500

RULE_TAGS = (
    "WITH"
    + MATCHES.format(rules=THEME_RULES, findings=STORED_FINDINGS, materialized="NOT MATERIALIZED")
    + SLUG_TAGS
)
EXISTING_TAGS = """
SELECT finding_id, theme_id, matched FROM inspections_findingtheme
WHERE finding_id = ANY(%(findings)s) AND theme_id = ANY(%(themes)s)
"""
DELETE_TAGS = """
DELETE FROM inspections_findingtheme AS old
USING unnest(%(findings)s::bigint[], %(themes)s::bigint[]) AS gone(finding_id, theme_id)
WHERE old.finding_id = gone.finding_id AND old.theme_id = gone.theme_id
"""
INSERT_TAGS = """
INSERT INTO inspections_findingtheme (finding_id, theme_id, matched)
SELECT * FROM unnest(%(findings)s::bigint[], %(themes)s::bigint[], %(matched)s::text[])
ON CONFLICT (finding_id, theme_id) DO UPDATE SET matched = EXCLUDED.matched
"""


@transaction.atomic
def tag_findings(findings=None, *, themes=None) -> TagCounts:
    """Bring the tags of the given findings (a queryset or list; None: every finding) with the given
    themes (None: every theme) in line with the themes' rules and the learned model
    (inspections.theme_model). Tags no longer given are removed; the rest are kept, so only affected
    rows change. Raw SQL throughout, so a migration can re-tag too."""
    finding_ids, theme_ids = _ids(findings), _ids(themes)
    if finding_ids == [] or theme_ids == []:
        return TagCounts()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, slug FROM inspections_theme")
        slug_ids = {slug: pk for pk, slug in cursor.fetchall()}
        if finding_ids is None:
            cursor.execute("SELECT id FROM inspections_finding ORDER BY id")
            finding_ids = [pk for (pk,) in cursor.fetchall()]
    in_scope = {slug: pk for slug, pk in slug_ids.items() if theme_ids is None or pk in theme_ids}
    counts = TagCounts()
    for start in range(0, len(finding_ids), CHUNK):
        chunk = _tag_chunk(finding_ids[start : start + CHUNK], in_scope)
        counts = TagCounts(*(a + b for a, b in zip(astuple(counts), astuple(chunk), strict=True)))
    return counts


def _tag_chunk(finding_ids: list[int], in_scope: dict[str, int]) -> TagCounts:
    model = load_model()
    rule_tags: dict[int, dict[str, str]] = {pk: {} for pk in finding_ids}
    words: dict[int, list[tuple[str, int, str]]] = {pk: [] for pk in finding_ids}
    kinds: dict[int, str | None] = dict.fromkeys(finding_ids)
    with connection.cursor() as cursor:
        # every theme's rules, whichever themes are re-tagged: the model reads them all
        cursor.execute(RULE_TAGS, {"findings": finding_ids, "themes": None})
        for finding_id, slug, matched in cursor.fetchall():
            rule_tags[finding_id][slug] = matched
        cursor.execute(STORED_WORDS, {"findings": finding_ids})
        for finding_id, kind, lexemes, positions, weights in cursor.fetchall():
            kinds[finding_id] = kind
            words[finding_id] = list(zip(lexemes, positions, weights, strict=True))
        wanted = {}
        for finding_id in finding_ids:
            tags = decide(model, words[finding_id], kinds[finding_id], rule_tags[finding_id], set(in_scope))
            for slug, why in tags.items():
                wanted[finding_id, in_scope[slug]] = why
        cursor.execute(EXISTING_TAGS, {"findings": finding_ids, "themes": list(in_scope.values())})
        existing = {(finding_id, theme_id): matched for finding_id, theme_id, matched in cursor.fetchall()}
        gone = [key for key in existing if key not in wanted]
        new = [key for key in wanted if key not in existing]
        changed = [key for key in wanted if key in existing and existing[key] != wanted[key]]
        if gone:
            cursor.execute(
                DELETE_TAGS, {"findings": [key[0] for key in gone], "themes": [key[1] for key in gone]}
            )
        if new or changed:
            written = new + changed
            cursor.execute(
                INSERT_TAGS,
                {
                    "findings": [key[0] for key in written],
                    "themes": [key[1] for key in written],
                    "matched": [wanted[key] for key in written],
                },
            )
    return TagCounts(added=len(new), removed=len(gone), changed=len(changed))


def retag_archive(*, themes=None) -> TagCounts:
    """Re-tag every finding in the archive with the given themes (None: all of them)."""
    return tag_findings(None, themes=themes)


def themes_for_texts(findings) -> list[list[str]]:
    """The theme slugs each unsaved finding (anything with .text, and .section and .kind if it has
    them) would get, computed exactly as tagging does, without writing anything."""
    findings = list(findings)
    matches = matches_for_texts(
        [finding.text for finding in findings],
        [getattr(finding, "section", "") for finding in findings],
        [getattr(finding, "kind", None) for finding in findings],
    )
    return [sorted(tags) for tags in matches]


def matches_for_texts(
    texts: Sequence[str], sections: Sequence[str] | None = None, kinds: Sequence[str | None] | None = None
) -> list[dict[str, str]]:
    """For each text (under its section heading, of its finding kind, if given): {theme slug: why it
    carries the theme}, as tagging would store them."""
    kinds = [None] * len(texts) if kinds is None else list(kinds)
    if len(kinds) != len(texts):
        raise ValueError("one kind per text")
    rule_tags, words = rules_and_words(texts, sections)
    with connection.cursor() as cursor:
        cursor.execute("SELECT slug FROM inspections_theme")
        slugs = {slug for (slug,) in cursor.fetchall()}
    model = load_model()
    return [decide(model, words[i], kinds[i], rule_tags[i], slugs) for i in range(len(texts))]


def rules_and_words(
    texts: Sequence[str], sections: Sequence[str] | None = None
) -> tuple[list[dict[str, str]], list[list[tuple[str, int, str]]]]:
    """For each unsaved text: what every theme's rules match ({slug: matched phrases}) and its words
    as PostgreSQL indexes them ((lexeme, position, weight)): what the model reads."""
    sections = [""] * len(texts) if sections is None else [section or "" for section in sections]
    if len(sections) != len(texts):
        raise ValueError("one section per text")
    rule_tags: list[dict[str, str]] = [{} for _ in texts]
    words: list[list[tuple[str, int, str]]] = [[] for _ in texts]
    if not texts:
        return rule_tags, words
    with connection.cursor() as cursor:
        cursor.execute(TEXT_TAGS, {"texts": list(texts), "sections": sections, "themes": None})
        for position, slug, matched in cursor.fetchall():
            rule_tags[position - 1][slug] = matched
        cursor.execute(GIVEN_WORDS, {"texts": list(texts), "sections": sections})
        for position, lexemes, positions, weights in cursor.fetchall():
            words[position - 1] = list(zip(lexemes, positions, weights, strict=True))
    return rule_tags, words


def rule_problems(phrases: str, exclusions: str, supporting_phrases: str = "") -> dict[str, list[str]]:
    """What is wrong with a theme's rules, in words staff can act on, by field ("phrases",
    "supporting_phrases", "exclusions"); {} when they are sound.

    PostgreSQL reads every line as tagging will, so the checks see the same stems and ignored words.
    """
    lines = {
        "phrases": rule_lines(phrases),
        "supporting_phrases": rule_lines(supporting_phrases),
        "exclusions": rule_lines(exclusions),
    }
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    for field, field_lines in lines.items():
        for line in field_lines:
            if line.startswith("-") or '"' in line or {"OR", "AND"} & set(line.split()):
                problem(
                    field,
                    f"“{line}”: write one plain phrase per line, without quotes, OR, AND or minus signs "
                    "(a phrase that should not count goes under Exclusions).",
                )
    if problems:
        return problems

    with connection.cursor() as cursor:
        cursor.execute(LINE_WORDS, {"phrases": [line for field in lines.values() for line in field]})
        read = {
            line: (tuple(stems), tuple(position - positions[0] for position in positions))
            for line, stems, positions in cursor.fetchall()
        }
    seen: dict[tuple, str] = {}
    for field, field_lines in lines.items():
        for line in field_lines:
            stems = read[line][0]
            if not stems:
                problem(
                    field,
                    f"“{line}” has no words that can be searched for: very common words such as 'the', "
                    "'of' and 'out' are not indexed.",
                )
            elif len(stems) == 1 and len(line.split()) > 1 and "-" not in line:
                problem(
                    field,
                    f"“{line}” would match every mention of “{stems[0]}”, because its other words are too "
                    "common to be indexed: add a word that gives it context (e.g. 'out of hours service').",
                )
            elif read[line] in seen:
                problem(
                    field,
                    f"“{line}” matches exactly what “{seen[read[line]]}” matches (both are read as "
                    f"“{' '.join(stems)}”): keep one of them.",
                )
            else:
                seen[read[line]] = line

    if lines["exclusions"] and not problems:
        matching = lines["phrases"] + lines["supporting_phrases"]
        with connection.cursor() as cursor:
            cursor.execute(
                EXCLUSION_COVERS,
                {
                    "roles": ["phrase"] * len(matching),
                    "phrases": matching,
                    "texts": lines["exclusions"],
                    "sections": [""] * len(lines["exclusions"]),
                },
            )
            covering = {position for (position,) in cursor.fetchall()}
        for position, line in enumerate(lines["exclusions"], start=1):
            if position not in covering:
                problem(
                    "exclusions",
                    f"The exclusion “{line}” contains none of the phrases, so it would never change "
                    "anything: an exclusion is a longer phrase around one of them (e.g. 'supervised "
                    "contact' around 'supervised').",
                )
    return problems


@dataclass(frozen=True)
class ThemeScore:
    """How one theme's tagging compares with the labels.

    Labels may be read by two readers: a predicted theme is right if either reader gave it (`accepted`)
    and a theme both gave (`required`) is missed if not predicted. With one reader the two sets are the
    same and this is plain precision and recall."""

    slug: str
    true_positives: int  # predicted and accepted
    false_positives: int  # predicted, not accepted
    false_negatives: int  # required, not predicted
    found: int | None = None  # required and predicted (None: true_positives)

    @property
    def required_found(self) -> int:
        return self.true_positives if self.found is None else self.found

    @property
    def support(self) -> int:
        return self.required_found + self.false_negatives

    @property
    def precision(self) -> float:
        return _ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float:
        return _ratio(self.required_found, self.support)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)


@dataclass(frozen=True)
class Scores:
    themes: list[ThemeScore]

    @property
    def micro(self) -> ThemeScore:
        return ThemeScore(
            "micro",
            sum(score.true_positives for score in self.themes),
            sum(score.false_positives for score in self.themes),
            sum(score.false_negatives for score in self.themes),
            sum(score.required_found for score in self.themes),
        )

    @property
    def macro_precision(self) -> float:
        return _mean([score.precision for score in self.themes])

    @property
    def macro_recall(self) -> float:
        return _mean([score.recall for score in self.themes])

    @property
    def macro_f1(self) -> float:
        return _mean([score.f1 for score in self.themes])


def score_tagging(
    gold: Sequence[Iterable[str]],
    predicted: Sequence[Iterable[str]],
    slugs: Iterable[str],
    *,
    accepted: Sequence[Iterable[str]] | None = None,
) -> Scores:
    """Precision, recall and F1 of a tagging against labelled themes, per theme and overall.

    `gold` holds the themes each finding must get (both readers' themes); `accepted` (default: the
    same) the themes it may get without being wrong (either reader's). A theme with nothing labelled
    and nothing predicted scores 1 (nothing to find, nothing wrong)."""
    accepted = gold if accepted is None else accepted
    if not len(gold) == len(predicted) == len(accepted):
        raise ValueError("gold and predicted must describe the same findings")
    rows = [
        (set(required), set(allowed) | set(required), set(guesses))
        for required, allowed, guesses in zip(gold, accepted, predicted, strict=True)
    ]
    return Scores(
        [
            ThemeScore(
                slug,
                sum(slug in guesses and slug in allowed for _, allowed, guesses in rows),
                sum(slug in guesses and slug not in allowed for _, allowed, guesses in rows),
                sum(slug in required and slug not in guesses for required, _, guesses in rows),
                sum(slug in required and slug in guesses for required, _, guesses in rows),
            )
            for slug in slugs
        ]
    )


def label_split(report_file: str) -> str:
    """The half of the labelled findings a report's findings fall in, "tune" or "holdout": fixed by a
    hash of the report's file name, so every finding of a report lands in the same half on every run."""
    digest = hashlib.sha256(report_file.encode()).digest()
    return "holdout" if digest[-1] % 2 else "tune"


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
