"""Tagging findings with practice themes, in set-based SQL.

Each theme's rules are a websearch-style query (phrases in quotes, OR, -exclusions) that PostgreSQL
matches against the finding's indexed text, with English stemming. Tagging a batch of findings, or
the whole archive, is one INSERT ... SELECT, never a loop over rows.
"""

from django.db import connection, transaction

from .models import Finding, FindingTheme

TAG_SQL = """
INSERT INTO inspections_findingtheme (finding_id, theme_id, matched)
SELECT finding.id, theme.id, ''
FROM inspections_finding AS finding
JOIN inspections_theme AS theme
  ON theme.rules <> '' AND finding.search_vector @@ websearch_to_tsquery('english', theme.rules)
WHERE finding.id = ANY(%s)
ON CONFLICT DO NOTHING
"""


@transaction.atomic
def tag_findings(findings) -> int:
    """(Re)tag the given findings (a queryset or iterable of Finding) with every theme; return tags written."""
    ids = (
        list(findings.values_list("pk", flat=True))
        if hasattr(findings, "values_list")
        else [f.pk for f in findings]
    )
    if not ids:
        return 0
    FindingTheme.objects.filter(finding_id__in=ids).delete()
    with connection.cursor() as cursor:
        cursor.execute(TAG_SQL, [ids])
        return cursor.rowcount


def retag_all() -> int:
    return tag_findings(Finding.objects.all())


THEMES_FOR_TEXTS_SQL = """
SELECT item.position, theme.slug
FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS item(text, section, position)
JOIN inspections_theme AS theme
  ON theme.rules <> ''
 AND (setweight(to_tsvector('english', item.text), 'A') || setweight(to_tsvector('english', item.section), 'C'))
     @@ websearch_to_tsquery('english', theme.rules)
ORDER BY item.position, theme.slug
"""


def themes_for_texts(findings) -> list[list[str]]:
    """The theme slugs each unsaved finding (with .text and .section) would get, computed by the
    database exactly as tagging does, without writing anything."""
    findings = list(findings)
    result: list[list[str]] = [[] for _ in findings]
    if not findings:
        return result
    with connection.cursor() as cursor:
        cursor.execute(THEMES_FOR_TEXTS_SQL, [[f.text for f in findings], [f.section for f in findings]])
        for position, slug in cursor.fetchall():
            result[position - 1].append(slug)
    return result
