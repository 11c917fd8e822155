import django.contrib.postgres.indexes
import django.db.models.functions.math
import django.db.models.lookups
import inspections.models
from django.db import migrations, models


# Every two adjacent words of a search vector as one lexeme, "first second" (models.WordPairs): the
# words in position order, each with the next when that is the very next position (a word left out,
# such as "of", leaves a gap, and so does the phrase query websearch_to_tsquery makes of it).
WORD_PAIRS_SQL = """
CREATE FUNCTION finding_word_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(pair)), '')
  FROM (
    SELECT lexeme || ' ' || lead(lexeme) OVER by_position AS pair,
           lead(position) OVER by_position - position AS gap
    FROM (SELECT lexeme, unnest(positions) AS position FROM unnest(vector)) AS words
    WINDOW by_position AS (ORDER BY position)
  ) AS pairs
  WHERE gap = 1
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0005_sample_indexes"),
    ]

    operations = [
        migrations.RunSQL(WORD_PAIRS_SQL, "DROP FUNCTION finding_word_pairs(tsvector)"),
        migrations.AddIndex(
            model_name="finding",
            index=django.contrib.postgres.indexes.GinIndex(
                inspections.models.WordPairs("search_vector"), name="finding_word_pairs"
            ),
        ),
        migrations.AddIndex(
            model_name="finding",
            index=django.contrib.postgres.indexes.GinIndex(
                inspections.models.WordPairs("search_vector"),
                condition=models.Q(
                    django.db.models.lookups.Exact(django.db.models.functions.math.Mod("id", 32), 0)
                ),
                name="finding_sample_word_pairs",
            ),
        ),
    ]
