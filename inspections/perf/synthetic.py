"""A synthetic archive on top of the real one, for measuring the archive at Ofsted-wide scale.

Synthetic inspections recombine the real archive: each copies the shape of a real inspection
(its kind, judgement areas, and its findings' kinds, sections, areas, order and pages), moves it to
another authority that existed at a nearby date, draws each grade from the real grades for that
kind of inspection and area, and writes each finding by replacing every sentence of the finding it
copies with a real sentence, from a finding of the same kind, that carries the same themes (each
distinct real sentence is tagged once, by the archive's own tagger). A synthetic finding's themes
are those its sentences carry, so theme frequencies follow the real data while the texts are new.

Everything made here is marked by its source file name, `synthetic/<seed>/<n>`: a real ingest
stores a file's base name, which never contains a slash, so `drop_synthetic` removes exactly what
was made and nothing else. Rows are loaded with COPY in one transaction.
"""

import datetime
import hashlib
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from ..models import Authority, Finding, FindingTheme, Inspection, Judgement, Theme
from ..storage import store_findings_in_reading_order
from ..themes import matches_for_texts

SYNTHETIC_PREFIX = "synthetic/"
PARSER_VERSION = "synthetic"
# How far (in days) a synthetic inspection's date may move from the real one it copies.
DATE_JITTER_DAYS = 365
# A sentence ends at . ! or ? followed by a space and a capital letter or digit.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")
THEME_BATCH = 2000
# Tables whose indexes are rebuilt after the load rather than maintained row by row.
BULK_TABLES = ("inspections_finding", "inspections_findingtheme")


def sentences_of(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(text) if part.strip()]


@dataclass
class Template:
    """The shape of one real inspection."""

    kind: str
    date: datetime.date
    days: int
    title: str
    authority_name: str
    lead_inspector: str
    page_count: int | None
    areas: list[str]
    findings: list[tuple] = field(default_factory=list)  # (kind, section, area, order, page, [sentence])


@dataclass
class RealArchive:
    templates: list[Template]
    grades: dict[tuple[str, str], list[str]]  # (inspection kind, area) -> grades seen
    date_range: dict[str, tuple[datetime.date, datetime.date]]
    sentences: list[str]
    pools: dict[tuple, list[int]]  # (finding kind, theme ids) -> sentence ids, as often as they occur
    sentence_themes: dict[int, list[tuple[int, str]]]  # sentence id -> [(theme id, matched phrases)]
    authorities: list[tuple[int, str, datetime.date | None, datetime.date | None]]


@dataclass
class SynthCounts:
    inspections: int = 0
    judgements: int = 0
    findings: int = 0
    tags: int = 0


def real_inspections():
    return Inspection.objects.exclude(source_filename__startswith=SYNTHETIC_PREFIX)


def synthetic_inspections():
    return Inspection.objects.filter(source_filename__startswith=SYNTHETIC_PREFIX)


def learn_real_archive() -> RealArchive:
    """Everything the synthetic archive is drawn from, read from the real rows in a stable order."""
    templates: dict[int, Template] = {}
    grades: dict[tuple[str, str], list[str]] = defaultdict(list)
    date_range: dict[str, tuple] = {}
    inspections = real_inspections().select_related("authority").order_by("sha256")
    for inspection in inspections:
        if inspection.date is None:
            continue
        end = inspection.end_date or inspection.date
        templates[inspection.pk] = Template(
            kind=inspection.kind,
            date=inspection.date,
            days=max((end - inspection.date).days, 0),
            title=inspection.title,
            authority_name=inspection.authority.short_name,
            lead_inspector=inspection.lead_inspector,
            page_count=inspection.page_count,
            areas=[],
        )
        low, high = date_range.get(inspection.kind, (inspection.date, inspection.date))
        date_range[inspection.kind] = (min(low, inspection.date), max(high, inspection.date))
    judgements = Judgement.objects.filter(inspection_id__in=templates).order_by("inspection__sha256", "area")
    for inspection_id, kind, area, grade in judgements.values_list(
        "inspection_id", "inspection__kind", "area", "grade"
    ):
        templates[inspection_id].areas.append(area)
        grades[(kind, area)].append(grade)

    sentence_ids: dict[str, int] = {}
    findings = Finding.objects.filter(inspection_id__in=templates).order_by("inspection__sha256", "order")
    for inspection_id, kind, section, area, order, page, text in findings.values_list(
        "inspection_id", "kind", "section", "area", "order", "page", "text"
    ):
        chosen = [
            sentence_ids.setdefault(sentence, len(sentence_ids)) for sentence in sentences_of(text) or [text]
        ]
        templates[inspection_id].findings.append((kind, section, area, order, page, chosen))

    sentences = list(sentence_ids)
    theme_ids = dict(Theme.objects.values_list("slug", "pk"))
    sentence_themes: dict[int, list[tuple[int, str]]] = {}
    for start in range(0, len(sentences), THEME_BATCH):
        batch = sentences[start : start + THEME_BATCH]
        for offset, tags in enumerate(matches_for_texts(batch)):
            if tags:
                sentence_themes[start + offset] = sorted(
                    (theme_ids[slug], matched) for slug, matched in tags.items()
                )
    pools: dict[tuple, list[int]] = defaultdict(list)
    for template in templates.values():
        for kind, *_, chosen in template.findings:
            for sentence in chosen:
                pools[_pool_key(kind, sentence, sentence_themes)].append(sentence)

    authorities = list(
        Authority.objects.order_by("gss_code").values_list("pk", "short_name", "start_date", "end_date")
    )
    return RealArchive(
        templates=[template for template in templates.values() if template.findings],
        grades=dict(grades),
        date_range=date_range,
        sentences=sentences,
        pools=dict(pools),
        sentence_themes=sentence_themes,
        authorities=authorities,
    )


def _pool_key(kind: str, sentence: int, sentence_themes) -> tuple:
    return (kind, tuple(theme_id for theme_id, _ in sentence_themes.get(sentence, ())))


def _existing_on(authorities, day: datetime.date) -> list[tuple]:
    existing = [a for a in authorities if (a[2] is None or a[2] <= day) and (a[3] is None or a[3] > day)]
    return existing or authorities


def _reserve_ids(cursor, table: str, count: int) -> int:
    """Take `count` consecutive ids from the table's sequence; return the first."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute("SELECT nextval(%s)", [sequence])
    (first,) = cursor.fetchone()
    cursor.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return first


def _merge_matches(parts: list[str]) -> str:
    seen: list[str] = []
    for part in parts:
        for phrase in part.split(", "):
            if phrase not in seen:
                seen.append(phrase)
    return ", ".join(seen)[:300]


def _index_definitions(cursor) -> list[tuple[str, str]]:
    """The plain (non-constraint) indexes of the bulk-loaded tables, as (name, CREATE INDEX ...)."""
    cursor.execute(
        """
        SELECT index.relname, pg_get_indexdef(index.oid)
        FROM pg_index
        JOIN pg_class AS index ON index.oid = pg_index.indexrelid
        JOIN pg_class AS tab ON tab.oid = pg_index.indrelid
        WHERE tab.relname = ANY(%s) AND tab.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = index.oid)
        """,
        [list(BULK_TABLES)],
    )
    return cursor.fetchall()


def _foreign_keys(cursor) -> list[tuple[str, str, str]]:
    """The bulk-loaded tables' foreign keys, as (table, name, definition)."""
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)
        """,
        [list(BULK_TABLES)],
    )
    return cursor.fetchall()


def synthesise(*, findings: int, seed: int = 1, log=lambda message: None) -> SynthCounts:
    """Add `findings` synthetic findings (with their inspections, judgements and theme tags)."""
    rng = random.Random(seed)
    real = learn_real_archive()
    if not real.templates:
        raise ValueError(
            "The archive has no real inspections with findings to learn from: ingest reports first."
        )
    log(
        f"Learnt from {len(real.templates)} real inspections: {len(real.sentences)} distinct sentences, "
        f"{len(real.sentence_themes)} of them tagged with themes."
    )
    inspection_rows, judgement_rows, finding_rows = [], [], []
    sentence_lists: list[list[int]] = []
    now = timezone.now()
    made = 0
    number = synthetic_inspections().filter(source_filename__startswith=f"{SYNTHETIC_PREFIX}{seed}/").count()
    while made < findings:
        template = rng.choice(real.templates)
        low, high = real.date_range[template.kind]
        day = template.date + datetime.timedelta(days=rng.randint(-DATE_JITTER_DAYS, DATE_JITTER_DAYS))
        day = min(max(day, low), high)
        authority_id, name, _, _ = rng.choice(_existing_on(real.authorities, day))
        shapes = template.findings[: findings - made]
        inspection_rows.append(
            (
                authority_id,
                template.kind,
                template.title.replace(template.authority_name, name)[:400],
                day,
                day + datetime.timedelta(days=template.days),
                template.lead_inspector,
                f"{SYNTHETIC_PREFIX}{seed}/{number}",
                hashlib.sha256(f"synthetic inspection {seed} {number}".encode()).hexdigest(),
                template.page_count,
                now,
                PARSER_VERSION,
                now,
            )
        )
        number += 1
        judgement_rows.append(
            [(area, rng.choice(real.grades[(template.kind, area)])) for area in template.areas]
        )
        rows = []
        for kind, section, area, order, page, originals in shapes:
            chosen = [rng.choice(real.pools[_pool_key(kind, s, real.sentence_themes)]) for s in originals]
            sentence_lists.append(chosen)
            rows.append((kind, section, area, order, page, " ".join(real.sentences[i] for i in chosen)))
        finding_rows.append(rows)
        made += len(shapes)
    log(f"Made {len(inspection_rows)} inspections and {made} findings in memory; loading them.")

    counts = SynthCounts()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        first_inspection = _reserve_ids(cursor, "inspections_inspection", len(inspection_rows))
        first_judgement = _reserve_ids(cursor, "inspections_judgement", sum(map(len, judgement_rows)))
        first_finding = _reserve_ids(cursor, "inspections_finding", made)
        first_tag = _reserve_ids(cursor, "inspections_findingtheme", 0)
        # As pg_restore does: indexes are built and foreign keys checked once, after the load, rather
        # than row by row. It all happens in this transaction, so a failure leaves them as they were.
        indexes, foreign_keys = _index_definitions(cursor), _foreign_keys(cursor)
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(
            "COPY inspections_inspection (id, authority_id, kind, title, start_date, end_date, lead_inspector, "
            "source_filename, sha256, page_count, parsed_at, parser_version, created_at, source_file, text) "
            "FROM STDIN"
        ) as copy:
            for offset, row in enumerate(inspection_rows):
                copy.write_row((first_inspection + offset, *row, "", ""))
        counts.inspections = len(inspection_rows)
        with raw.copy("COPY inspections_judgement (id, inspection_id, area, grade) FROM STDIN") as copy:
            judgement_id = first_judgement
            for offset, grades in enumerate(judgement_rows):
                for area, grade in grades:
                    copy.write_row((judgement_id, first_inspection + offset, area, grade))
                    judgement_id += 1
        counts.judgements = judgement_id - first_judgement
        log(f"Loaded {counts.inspections} inspections and {counts.judgements} judgements.")
        # Tags first: a finding's copy of its theme ids is made as it is inserted (migration 0003).
        with raw.copy("COPY inspections_findingtheme (id, finding_id, theme_id, matched) FROM STDIN") as copy:
            tag_id = first_tag
            for offset, chosen in enumerate(sentence_lists):
                matched: dict[int, list[str]] = {}
                for sentence in chosen:
                    for theme_id, phrases in real.sentence_themes.get(sentence, ()):
                        matched.setdefault(theme_id, []).append(phrases)
                for theme_id, parts in matched.items():
                    copy.write_row((tag_id, first_finding + offset, theme_id, _merge_matches(parts)))
                    tag_id += 1
        counts.tags = tag_id - first_tag
        log(f"Loaded {counts.tags} theme tags.")
        with raw.copy(
            'COPY inspections_finding (id, inspection_id, kind, section, area, "order", page, text) FROM STDIN'
        ) as copy:
            finding_id = first_finding
            for offset, rows in enumerate(finding_rows):
                for row in rows:
                    copy.write_row((finding_id, first_inspection + offset, *row))
                    finding_id += 1
        counts.findings = finding_id - first_finding
        log(f"Loaded {counts.findings} findings.")
        _reserve_ids(cursor, "inspections_findingtheme", counts.tags)
        log(f"Rebuilding {len(indexes)} indexes and checking {len(foreign_keys)} foreign keys.")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    # the sample's first, then the rest, each in date order, as `cluster_findings` stores a real archive
    # loaded in bulk (storage.py)
    log("Storing the findings: the sample's first, each part in date order.")
    store_findings_in_reading_order()
    _vacuum(log)
    return counts


def drop_synthetic(*, log=lambda message: None) -> SynthCounts:
    """Remove every synthetic inspection and all that hangs off it; real rows are untouched."""
    counts = SynthCounts()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE synthetic_inspection ON COMMIT DROP AS "
            "SELECT id FROM inspections_inspection WHERE source_filename LIKE %s",
            [SYNTHETIC_PREFIX + "%"],
        )
        # Findings before their tags and judgements (the foreign keys are checked at commit), so the
        # triggers that keep findings' copies find nothing left to update.
        cursor.execute(
            "CREATE TEMPORARY TABLE synthetic_finding ON COMMIT DROP AS SELECT id FROM inspections_finding "
            "WHERE inspection_id IN (SELECT id FROM synthetic_inspection)"
        )
        cursor.execute("DELETE FROM inspections_finding WHERE id IN (SELECT id FROM synthetic_finding)")
        counts.findings = cursor.rowcount
        cursor.execute(
            "DELETE FROM inspections_findingtheme WHERE finding_id IN (SELECT id FROM synthetic_finding)"
        )
        counts.tags = cursor.rowcount
        cursor.execute(
            "DELETE FROM inspections_judgement WHERE inspection_id IN (SELECT id FROM synthetic_inspection)"
        )
        counts.judgements = cursor.rowcount
        cursor.execute("DELETE FROM inspections_inspection WHERE id IN (SELECT id FROM synthetic_inspection)")
        counts.inspections = cursor.rowcount
    log(
        f"Removed {counts.inspections} synthetic inspections, {counts.judgements} judgements, "
        f"{counts.findings} findings and {counts.tags} theme tags."
    )
    if counts.inspections:
        _vacuum(log)
    return counts


def _vacuum(log) -> None:
    """Fresh statistics and visibility map after a bulk change (VACUUM cannot run in a transaction)."""
    log("Vacuuming and analysing.")
    with connection.cursor() as cursor:
        for table in ("inspections_inspection", "inspections_judgement", *BULK_TABLES):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def synthetic_summary() -> Counter:
    return Counter(
        inspections=synthetic_inspections().count(),
        findings=Finding.objects.filter(inspection__source_filename__startswith=SYNTHETIC_PREFIX).count(),
        tags=FindingTheme.objects.filter(
            finding__inspection__source_filename__startswith=SYNTHETIC_PREFIX
        ).count(),
    )
