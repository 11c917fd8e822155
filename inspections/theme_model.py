"""The learned half of theme tagging: a logistic regression per theme over a finding's words.

The themes' rules (inspections.themes) find phrases; on their own they tag passing mentions too often
("culture" in "a culture of robust supervision"). This model reads what the phrases cannot: which
words the finding is made of, word pairs, its section heading, its kind, and which themes' rules
matched (and how many of their phrases). Each theme has a weight per feature, an intercept and two
thresholds; a finding carries the theme when its probability reaches the lower one where the theme's
own rules match the finding, or the higher one where they do not. Nothing else is
hidden: the weights ship in `theme_model.json` (written by `manage.py train_themes` from labelled
findings, deterministically), and every tag stores the phrases and words that weighed most for it.

Features are read from PostgreSQL's own vector of the finding (Finding.search_vector, or the same
expression for an unsaved text), so training, ingest and re-tagging see identical words.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings

MODEL_PATH = Path(__file__).with_name("theme_model.json")
# How many of the heaviest features a tag shows as its reasons.
REASONS = 4
# A rule's matched phrases count as a feature up to this many.
MAX_RULE_PHRASES = 3

# The words of stored findings: (id, kind, lexemes, positions, weights); weight A is the text, C the
# section heading (Finding.search_vector).
STORED_WORDS = """
SELECT finding.id, finding.kind, array_agg(word.lexeme), array_agg(place.position), array_agg(place.weight)
FROM inspections_finding AS finding
CROSS JOIN LATERAL unnest(finding.search_vector) AS word
CROSS JOIN LATERAL unnest(word.positions, word.weights) AS place(position, weight)
WHERE finding.id = ANY(%(findings)s)
GROUP BY finding.id, finding.kind
"""
# The same for unsaved texts, indexed as Finding.search_vector indexes a finding (themes.GIVEN_TEXTS).
GIVEN_WORDS = """
SELECT item.position, array_agg(word.lexeme), array_agg(place.position), array_agg(place.weight)
FROM unnest(%(texts)s::text[], %(sections)s::text[]) WITH ORDINALITY AS item(text, section, position)
CROSS JOIN LATERAL unnest(
    setweight(to_tsvector('english', translate(item.text, '<>', '  ')), 'A')
    || setweight(to_tsvector('english', translate(coalesce(item.section, ''), '<>', '  ')), 'C')
) AS word
CROSS JOIN LATERAL unnest(word.positions, word.weights) AS place(position, weight)
GROUP BY item.position
"""


def features(
    words: Iterable[tuple[str, int, str]], kind: str | None, rule_tags: dict[str, str]
) -> dict[str, float]:
    """A finding's features: its text's lexemes (w:) and adjacent pairs (b:), its heading's lexemes
    (h:), its kind (k:), and each theme whose rules matched (r:) with how many phrases (rn:)."""
    found: dict[str, float] = {}
    at: dict[int, list[str]] = {}
    for lexeme, position, weight in words:
        if weight == "A":
            found[f"w:{lexeme}"] = 1.0
            at.setdefault(position, []).append(lexeme)
        else:
            found[f"h:{lexeme}"] = 1.0
    for position, lexemes in at.items():
        for first in lexemes:
            for second in at.get(position + 1, ()):
                found[f"b:{first}_{second}"] = 1.0
    if kind:
        found[f"k:{kind}"] = 1.0
    for slug, matched in rule_tags.items():
        found[f"r:{slug}"] = 1.0
        found[f"rn:{slug}"] = float(min(MAX_RULE_PHRASES, len(matched.split(", "))))
    return found


@dataclass(frozen=True)
class ThemeModel:
    slugs: list[str]
    columns: dict[str, int]  # feature name -> row of `weights`
    names: list[str]
    weights: np.ndarray  # features x themes
    intercepts: np.ndarray
    thresholds: np.ndarray  # where the theme's rules do not match
    rule_thresholds: np.ndarray  # where they do
    known: frozenset[str]  # the themes it was trained for

    @classmethod
    def from_json(cls, data: dict) -> "ThemeModel":
        slugs = sorted(data["themes"])
        names = sorted({name for theme in data["themes"].values() for name in theme["weights"]})
        columns = {name: row for row, name in enumerate(names)}
        weights = np.zeros((len(names), len(slugs)))
        for column, slug in enumerate(slugs):
            for name, weight in data["themes"][slug]["weights"].items():
                weights[columns[name], column] = weight
        return cls(
            slugs,
            columns,
            names,
            weights,
            np.array([data["themes"][slug]["intercept"] for slug in slugs]),
            np.array([data["themes"][slug]["threshold"] for slug in slugs]),
            np.array(
                [
                    data["themes"][slug].get("rule_threshold", data["themes"][slug]["threshold"])
                    for slug in slugs
                ]
            ),
            frozenset(slugs),
        )

    def tags(self, found: dict[str, float], rule_tags: dict[str, str]) -> dict[str, str]:
        """{theme slug: why} for the themes this finding carries."""
        rows = [self.columns[name] for name in found if name in self.columns]
        values = np.array([found[self.names[row]] for row in rows])
        contributions = self.weights[rows] * values[:, None] if rows else np.zeros((0, len(self.slugs)))
        scores = self.intercepts + contributions.sum(axis=0)
        probabilities = 1 / (1 + np.exp(-scores))
        matched = np.array([slug in rule_tags for slug in self.slugs])
        tagged = {}
        for column in np.flatnonzero(
            probabilities >= np.where(matched, self.rule_thresholds, self.thresholds)
        ):
            slug = self.slugs[column]
            order = np.argsort(-contributions[:, column], kind="stable")[:REASONS]
            reasons = [
                _reason(self.names[rows[i]])
                for i in order
                if contributions[i, column] > 0 and not self.names[rows[i]].startswith("k:")
            ]
            tagged[slug] = _why(rule_tags.get(slug, ""), reasons, probabilities[column])
        return tagged


def _reason(name: str) -> str:
    prefix, _, value = name.partition(":")
    if prefix in ("r", "rn"):
        return f"rules of {value}"
    if prefix == "h":
        return f"heading “{value}”"
    return value.replace("_", " ")


def _why(matched: str, reasons: list[str], probability: float) -> str:
    words = ", ".join(dict.fromkeys(reason for reason in reasons if not reason.startswith("rules of")))
    parts = [matched] if matched else []
    if words:
        parts.append(f"words: {words}")
    parts.append(f"{probability:.0%}")
    return "; ".join(parts)[:300]


def load_model() -> ThemeModel | None:
    """The model at settings.THEME_MODEL_PATH (the shipped one by default), or None where that is
    unset or absent: tagging then follows the rules alone."""
    path = getattr(settings, "THEME_MODEL_PATH", MODEL_PATH)
    return _read_model(Path(path)) if path else None


@lru_cache(maxsize=2)
def _read_model(path: Path) -> ThemeModel | None:
    if not path.exists():
        return None
    return ThemeModel.from_json(json.loads(path.read_text()))


def reload_model() -> None:
    """Read the model file afresh at the next use (after train_themes wrote it)."""
    _read_model.cache_clear()


def decide(
    model: ThemeModel | None,
    words: Sequence[tuple[str, int, str]],
    kind: str | None,
    rule_tags: dict[str, str],
    slugs: set[str],
) -> dict[str, str]:
    """The themes (among `slugs`) a finding carries: the model's for the themes it knows, the rules'
    for a theme it does not (one staff added since it was trained)."""
    if model is None:
        return {slug: why for slug, why in rule_tags.items() if slug in slugs}
    learned = model.tags(features(words, kind, rule_tags), rule_tags)
    tags = {slug: why for slug, why in learned.items() if slug in slugs}
    for slug, why in rule_tags.items():
        if slug in slugs and slug not in model.known:
            tags[slug] = why
    return tags
