"""The words of findings' text, for suggesting a spelling when a search finds nothing.

A table of the distinct words (lower case, letters only, 3 to 40 of them) with a trigram index
(pg_trgm's gin_trgm_ops): the words similar to a misspelt one are read from the index and sorted,
under a millisecond whether the archive holds a thousand findings or a million, since the table
grows with the vocabulary (some tens of thousands of words), not with the findings. (Measured with
300,000 words: 0.3-0.6 ms a word with GIN, 55-65 ms with a GiST index's nearest-neighbour walk.)

A statement-level trigger adds the words of the findings each INSERT writes, once per statement
(a bulk ingest's batch is one), in order, so concurrent ingests adding a new word wait on each other
rather than deadlock. A finding's text is written once (a replaced report's findings are deleted
and inserted anew), so updates are not watched; words of deleted findings stay, and the search
checks that a word still matches a finding before suggesting it.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

WORDS = r"""
SELECT DISTINCT word FROM {source} AS finding, regexp_split_to_table(lower(finding.text), '[^a-z]+') AS word
WHERE length(word) BETWEEN 3 AND 40
ORDER BY word
ON CONFLICT DO NOTHING
"""

TRIGGER_SQL = f"""
CREATE FUNCTION inspections_finding_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inspections_searchword (word) {WORDS.format(source="new_findings")};
    RETURN NULL;
END $$;

CREATE TRIGGER finding_words AFTER INSERT ON inspections_finding
REFERENCING NEW TABLE AS new_findings
FOR EACH STATEMENT EXECUTE FUNCTION inspections_finding_words();

INSERT INTO inspections_searchword (word) {WORDS.format(source="inspections_finding")};
"""

REVERSE_SQL = """
DROP TRIGGER finding_words ON inspections_finding;
DROP FUNCTION inspections_finding_words();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0009_theme_rules_from_shared_labels"),
    ]

    operations = [
        TrigramExtension(),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "word",
                    models.CharField(
                        help_text="The word, in lower case.",
                        max_length=40,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ],
            options={
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["word"], name="search_word_trigrams", opclasses=["gin_trgm_ops"]
                    )
                ],
            },
        ),
        migrations.RunSQL(TRIGGER_SQL, REVERSE_SQL),
    ]
