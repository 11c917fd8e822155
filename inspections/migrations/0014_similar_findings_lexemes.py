"""How many findings hold each lexeme of their text, for similar findings (inspections/similar.py).

A finding's most telling words are its rarest: reading their counts from this table is one indexed
lookup, where PostgreSQL's ts_stat() reads every finding (0.4 s at 21,786 findings, far more at a
million). Statement-level triggers keep the counts, one grouped upsert per statement (a report's
findings are one INSERT, a replaced report's one DELETE), the lexemes in order; every write to the
archive already waits on inspections_archive_state's one row (migration 0003), so two ingests never
hold each other's lexemes. Only the text's lexemes count (weight A of search_vector), not the
section heading's. A finding's text changed in the admin moves its counts with a row trigger that
fires only when the text itself changes.
"""

from django.db import migrations, models

# Each statement reads the findings of SOURCE, and each finding's text lexemes once (search_vector's
# weight A: the text, not the section heading).
ADD = """
    INSERT INTO inspections_lexeme (lexeme, findings)
    SELECT lexeme, count(*)
    FROM SOURCE AS finding, unnest(tsvector_to_array(ts_filter(finding.search_vector, '{a}'))) AS lexeme
    GROUP BY lexeme ORDER BY lexeme
    ON CONFLICT (lexeme) DO UPDATE SET findings = inspections_lexeme.findings + EXCLUDED.findings;
"""
REMOVE = """
    UPDATE inspections_lexeme AS held SET findings = greatest(held.findings - gone.findings, 0)
    FROM (SELECT lexeme, count(*) AS findings
          FROM SOURCE AS finding, unnest(tsvector_to_array(ts_filter(finding.search_vector, '{a}'))) AS lexeme
          GROUP BY lexeme) AS gone
    WHERE held.lexeme = gone.lexeme;
    DELETE FROM inspections_lexeme WHERE findings <= 0;
"""

TRIGGER_SQL = f"""
CREATE FUNCTION inspections_finding_lexemes_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {ADD.replace("SOURCE", "new_findings")}
    RETURN NULL;
END $$;

CREATE FUNCTION inspections_finding_lexemes_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {REMOVE.replace("SOURCE", "old_findings")}
    RETURN NULL;
END $$;

CREATE FUNCTION inspections_finding_lexemes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {REMOVE.replace("SOURCE", "(SELECT OLD.search_vector)")}
    {ADD.replace("SOURCE", "(SELECT NEW.search_vector)")}
    RETURN NULL;
END $$;

-- DELETE, not TRUNCATE: a TRUNCATE of both tables at once (a test database's flush) holds this one.
CREATE FUNCTION inspections_finding_lexemes_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM inspections_lexeme;
    RETURN NULL;
END $$;

CREATE TRIGGER finding_lexemes_added AFTER INSERT ON inspections_finding
REFERENCING NEW TABLE AS new_findings
FOR EACH STATEMENT EXECUTE FUNCTION inspections_finding_lexemes_added();

CREATE TRIGGER finding_lexemes_removed AFTER DELETE ON inspections_finding
REFERENCING OLD TABLE AS old_findings
FOR EACH STATEMENT EXECUTE FUNCTION inspections_finding_lexemes_removed();

CREATE TRIGGER finding_lexemes_changed AFTER UPDATE OF text ON inspections_finding
FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
EXECUTE FUNCTION inspections_finding_lexemes_changed();

CREATE TRIGGER finding_lexemes_emptied AFTER TRUNCATE ON inspections_finding
FOR EACH STATEMENT EXECUTE FUNCTION inspections_finding_lexemes_emptied();

{ADD.replace("SOURCE", "inspections_finding")}
"""

REVERSE_SQL = """
DROP TRIGGER finding_lexemes_added ON inspections_finding;
DROP TRIGGER finding_lexemes_removed ON inspections_finding;
DROP TRIGGER finding_lexemes_changed ON inspections_finding;
DROP TRIGGER finding_lexemes_emptied ON inspections_finding;
DROP FUNCTION inspections_finding_lexemes_added();
DROP FUNCTION inspections_finding_lexemes_removed();
DROP FUNCTION inspections_finding_lexemes_changed();
DROP FUNCTION inspections_finding_lexemes_emptied();
"""


class Migration(migrations.Migration):
    dependencies = [("inspections", "0013_assessment_exclusion_and_retag")]

    operations = [
        migrations.CreateModel(
            name="Lexeme",
            fields=[
                (
                    "lexeme",
                    models.TextField(
                        help_text="The lexeme, as to_tsvector('english', …) writes it.",
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("findings", models.PositiveIntegerField(help_text="How many findings' text holds it.")),
            ],
        ),
        migrations.RunSQL(TRIGGER_SQL, REVERSE_SQL),
    ]
