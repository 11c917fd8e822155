"""Copies of each finding's inspection, grade and themes on the finding itself, kept by triggers.

Search reads one row per finding with no join: the authority, inspection kind and date, the grade
that applies to the finding (its own area's, or the overall one where it has none) and its theme ids.
The triggers below keep the copies right on every write, whatever makes it (ingest, re-parse, the
admin, theme tagging, raw SQL):

- a finding's copies are computed whenever it is inserted or updated;
- changing an inspection's authority, kind or dates, a judgement, or a finding's theme tags updates
  the findings concerned.

`inspections_archive_state.version` changes (to a new random UUID) with every write to the
archive's tables, so cached counts can be keyed by it and are never served after a change.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models

COPIES_SQL = r"""
CREATE FUNCTION inspections_finding_copies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT inspection.authority_id, inspection.kind, inspection.date
      INTO NEW.authority_id, NEW.inspection_kind, NEW.inspection_date
      FROM inspections_inspection AS inspection
     WHERE inspection.id = NEW.inspection_id;
    NEW.grade := (
        SELECT judgement.grade FROM inspections_judgement AS judgement
         WHERE judgement.inspection_id = NEW.inspection_id
           AND judgement.area = coalesce(NEW.area, 'overall_effectiveness'));
    NEW.theme_ids := ARRAY(
        SELECT tag.theme_id FROM inspections_findingtheme AS tag WHERE tag.finding_id = NEW.id ORDER BY 1);
    RETURN NEW;
END $$;

CREATE TRIGGER finding_copies BEFORE INSERT OR UPDATE ON inspections_finding
FOR EACH ROW EXECUTE FUNCTION inspections_finding_copies();

-- Updating a finding recomputes its copies (above), so the triggers below only touch the rows.
CREATE FUNCTION inspections_inspection_copies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE inspections_finding SET inspection_id = NEW.id WHERE inspection_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER inspection_copies AFTER UPDATE ON inspections_inspection
FOR EACH ROW WHEN (
    OLD.authority_id IS DISTINCT FROM NEW.authority_id
    OR OLD.kind IS DISTINCT FROM NEW.kind
    OR OLD.date IS DISTINCT FROM NEW.date
) EXECUTE FUNCTION inspections_inspection_copies();

CREATE FUNCTION inspections_judgement_copies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- the findings the old judgement graded, and those the new one grades differently
    UPDATE inspections_finding AS finding SET area = finding.area
     WHERE (finding.inspection_id = OLD.inspection_id
            AND coalesce(finding.area, 'overall_effectiveness') = OLD.area)
        OR (finding.inspection_id = NEW.inspection_id
            AND coalesce(finding.area, 'overall_effectiveness') = NEW.area
            AND finding.grade IS DISTINCT FROM NEW.grade);
    RETURN NULL;
END $$;

CREATE TRIGGER judgement_copies AFTER INSERT OR UPDATE OR DELETE ON inspections_judgement
FOR EACH ROW EXECUTE FUNCTION inspections_judgement_copies();

-- Tagging writes many tags in one statement: one set-based update per statement.
CREATE FUNCTION inspections_findingtheme_copies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE inspections_finding AS finding SET theme_ids = finding.theme_ids
         WHERE finding.id IN (SELECT finding_id FROM new_tags)
           AND finding.theme_ids IS DISTINCT FROM ARRAY(
               SELECT tag.theme_id FROM inspections_findingtheme AS tag
                WHERE tag.finding_id = finding.id ORDER BY 1);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE inspections_finding AS finding SET theme_ids = finding.theme_ids
         WHERE finding.id IN (SELECT finding_id FROM old_tags)
           AND finding.theme_ids IS DISTINCT FROM ARRAY(
               SELECT tag.theme_id FROM inspections_findingtheme AS tag
                WHERE tag.finding_id = finding.id ORDER BY 1);
    ELSE
        UPDATE inspections_finding AS finding SET theme_ids = finding.theme_ids
         WHERE finding.id IN (SELECT finding_id FROM old_tags UNION SELECT finding_id FROM new_tags)
           AND finding.theme_ids IS DISTINCT FROM ARRAY(
               SELECT tag.theme_id FROM inspections_findingtheme AS tag
                WHERE tag.finding_id = finding.id ORDER BY 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER findingtheme_copies_insert AFTER INSERT ON inspections_findingtheme
REFERENCING NEW TABLE AS new_tags
FOR EACH STATEMENT EXECUTE FUNCTION inspections_findingtheme_copies();
CREATE TRIGGER findingtheme_copies_update AFTER UPDATE ON inspections_findingtheme
REFERENCING OLD TABLE AS old_tags NEW TABLE AS new_tags
FOR EACH STATEMENT EXECUTE FUNCTION inspections_findingtheme_copies();
CREATE TRIGGER findingtheme_copies_delete AFTER DELETE ON inspections_findingtheme
REFERENCING OLD TABLE AS old_tags
FOR EACH STATEMENT EXECUTE FUNCTION inspections_findingtheme_copies();

-- The copies of the rows already there.
UPDATE inspections_finding SET area = area;

-- A new random version with every change: never one seen before, even after a rollback or a restore.
CREATE TABLE inspections_archive_state (
    id integer PRIMARY KEY CHECK (id = 1),
    version uuid NOT NULL DEFAULT gen_random_uuid()
);
COMMENT ON TABLE inspections_archive_state IS
    'One row; version changes with every write to the archive (cached counts are keyed by it).';
INSERT INTO inspections_archive_state (id) VALUES (1);

CREATE FUNCTION inspections_archive_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE inspections_archive_state SET version = gen_random_uuid() WHERE id = 1;
    RETURN NULL;
END $$;
"""

ARCHIVE_TABLES = [
    "inspections_authority",
    "inspections_inspection",
    "inspections_judgement",
    "inspections_finding",
    "inspections_findingtheme",
    "inspections_theme",
]
VERSION_SQL = "".join(
    f"CREATE TRIGGER archive_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}\n"
    "FOR EACH STATEMENT EXECUTE FUNCTION inspections_archive_changed();\n"
    for table in ARCHIVE_TABLES
)

REVERSE_SQL = (
    "".join(f"DROP TRIGGER archive_changed ON {table};\n" for table in ARCHIVE_TABLES)
    + """
DROP FUNCTION inspections_archive_changed();
DROP TABLE inspections_archive_state;
DROP TRIGGER findingtheme_copies_insert ON inspections_findingtheme;
DROP TRIGGER findingtheme_copies_update ON inspections_findingtheme;
DROP TRIGGER findingtheme_copies_delete ON inspections_findingtheme;
DROP FUNCTION inspections_findingtheme_copies();
DROP TRIGGER judgement_copies ON inspections_judgement;
DROP FUNCTION inspections_judgement_copies();
DROP TRIGGER inspection_copies ON inspections_inspection;
DROP FUNCTION inspections_inspection_copies();
DROP TRIGGER finding_copies ON inspections_finding;
DROP FUNCTION inspections_finding_copies();
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0002_theme_phrases_and_exclusions"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="authority",
            field=models.ForeignKey(
                db_constraint=False,
                editable=False,
                help_text="The inspection's authority (a copy kept by the database).",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="inspections.authority",
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="grade",
            field=models.CharField(
                choices=[
                    ("outstanding", "Outstanding"),
                    ("good", "Good"),
                    ("adequate", "Adequate"),
                    ("requires_improvement", "Requires improvement to be good"),
                    ("inadequate", "Inadequate"),
                ],
                editable=False,
                help_text="The grade of the finding's own area, or the overall grade where it has no area "
                "(a copy of the inspection's judgement kept by the database).",
                max_length=32,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="inspection_date",
            field=models.DateField(
                editable=False, help_text="The inspection's date (a copy kept by the database).", null=True
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="inspection_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("cra_unannounced", "Unannounced inspection of contact, referral and assessment"),
                    ("slac", "Inspection of safeguarding and looked after children services"),
                    ("lac_2012", "Inspection of looked after children services (2012-2013)"),
                    ("child_protection_2012", "Inspection of child protection arrangements (2012-2013)"),
                    ("sif", "Single inspection framework (2013-2018)"),
                    ("ilacs", "Inspection of local authority children's services (ILACS)"),
                    ("focused_visit", "Focused visit"),
                    ("monitoring_visit", "Monitoring visit"),
                    ("jtai", "Joint targeted area inspection"),
                    ("other", "Other inspection document"),
                ],
                editable=False,
                help_text="The inspection's kind (a copy kept by the database).",
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="theme_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(),
                default=list,
                editable=False,
                help_text="The ids of the finding's themes, ascending (a copy of its tags kept by the database).",
                size=None,
            ),
        ),
        migrations.RunSQL(COPIES_SQL + VERSION_SQL, REVERSE_SQL),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(
                fields=["-inspection_date", "-inspection", "order"],
                include=("id", "authority", "inspection_kind", "kind", "grade", "theme_ids"),
                name="finding_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["inspection_date", "inspection", "order"], name="finding_oldest"),
        ),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["authority"], name="finding_authority"),
        ),
    ]
