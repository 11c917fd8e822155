"""Train the theme model (inspections/theme_model.json) from labelled findings.

    python manage.py train_themes

Reads fixtures/theme_training.json (findings read once for themes, from reports outside the shared
labels) and the tuning half of ../shared/labels/dev_theme_labels.json (never its held-out half),
reads each finding's words and rule matches as tagging does, and fits one logistic regression per
theme (scikit-learn, liblinear, L2, fixed seed). Each theme's threshold is the one that gives the best
F1 in five-fold cross-validation over the training findings. The same labels, rules and code give the
same file, byte for byte.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inspections.models import Theme
from inspections.theme_model import MODEL_PATH, features, reload_model
from inspections.themes import label_split, rules_and_words

from .score_themes import SHARED_LABELS, read_labels

TRAINING = settings.BASE_DIR / "fixtures" / "theme_training.json"
# A feature seen in fewer training findings than this has no weight (too rare to learn from).
MIN_FINDINGS = 3
# Regularisation: of 0.3, 0.6, 1 and 2, the best two-reader F1 out of fold on the tuning half.
C = 0.6
FOLDS = 5
THRESHOLDS = [round(0.15 + 0.05 * step, 2) for step in range(11)]
SCALES = [round(0.5 + 0.05 * step, 2) for step in range(11)]
# Weights smaller than this are left out of the file (they move no probability by 1%).
SMALLEST_WEIGHT = 0.005


class Command(BaseCommand):
    help = "Train the theme model from the labelled findings and write inspections/theme_model.json."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=MODEL_PATH)

    def handle(self, *args, output: Path, **options):
        try:
            import numpy as np
            from scipy.sparse import csr_matrix
            from sklearn.linear_model import LogisticRegression
        except ImportError as error:
            raise CommandError(
                "Training needs scikit-learn: pip install -e '.[dev]' (tagging itself does not)."
            ) from error
        slugs = sorted(Theme.objects.values_list("slug", flat=True))
        if not slugs:
            raise CommandError("There are no themes in the database: load them with 'loaddata themes.json'.")
        findings = _training_findings()
        rule_tags, words = rules_and_words([f["text"] for f in findings], [f["section"] for f in findings])
        found = [features(words[i], findings[i]["kind"], rule_tags[i]) for i in range(len(findings))]
        seen: dict[str, int] = {}
        for row in found:
            for name in row:
                seen[name] = seen.get(name, 0) + 1
        names = sorted(name for name, count in seen.items() if count >= MIN_FINDINGS)
        column = {name: index for index, name in enumerate(names)}
        cells = [
            (index, column[name], value)
            for index, row in enumerate(found)
            for name, value in sorted(row.items())
            if name in column
        ]
        matrix = csr_matrix(
            ([value for *_, value in cells], ([i for i, *_ in cells], [j for _, j, _ in cells])),
            shape=(len(found), len(names)),
        )
        folds = np.arange(len(findings)) % FOLDS
        themes = {}
        out_of_fold: dict[str, np.ndarray] = {}
        for slug in slugs:
            wanted = np.array([slug in finding["themes"] for finding in findings])
            if wanted.sum() < FOLDS:
                continue

            def fit(rows, wanted=wanted):
                model = LogisticRegression(C=C, solver="liblinear", max_iter=5000, random_state=0)
                return model.fit(matrix[rows], wanted[rows])

            held = np.zeros(len(findings))
            for fold in range(FOLDS):
                held[folds == fold] = fit(folds != fold).predict_proba(matrix[folds == fold])[:, 1]
            threshold = max(THRESHOLDS, key=lambda t: (_f1(held >= t, wanted), -abs(t - 0.5)))
            out_of_fold[slug] = held
            model = fit(np.ones(len(findings), dtype=bool))
            themes[slug] = {
                "intercept": round(float(model.intercept_[0]), 4),
                "threshold": threshold,
                "cross_validated_f1": round(_f1(held >= threshold, wanted), 3),
                "labelled": int(wanted.sum()),
                "weights": {
                    names[i]: round(float(weight), 4)
                    for i, weight in enumerate(model.coef_[0])
                    if abs(weight) >= SMALLEST_WEIGHT
                },
            }
            self.stdout.write(
                f"{slug:<24} {int(wanted.sum()):5d} labelled, threshold {threshold:.2f}, "
                f"cross-validated F1 {themes[slug]['cross_validated_f1']:.3f}"
            )
        # Two readers: a theme either gave is right, one both gave is missed. Each threshold above was
        # chosen against one reader; scale them all by the factor that scores best by the two-reader rule
        # on the shared labels' tuning half, predicted out of fold.
        two_readers = [i for i, finding in enumerate(findings) if "both" in finding]
        if two_readers:
            factor = max(
                SCALES,
                key=lambda f: (
                    _two_reader_f1(findings, two_readers, out_of_fold, themes, f),
                    -abs(f - 1),
                ),
            )
            for theme in themes.values():
                theme["threshold"] = round(theme["threshold"] * factor, 3)
            self.stdout.write(
                f"Thresholds scaled by {factor}: two-reader F1 out of fold on the tuning half "
                f"{_two_reader_f1(findings, two_readers, out_of_fold, themes, 1.0):.3f}."
            )
        document = {
            "about": (
                "Theme model: a logistic regression per theme over a finding's words, word pairs, heading, "
                "kind and rule matches (inspections/theme_model.py). Written by manage.py train_themes."
            ),
            "trained_on": {"findings": len(findings), "features": len(names), "C": C, "folds": FOLDS},
            "themes": themes,
        }
        output.write_text(json.dumps(document, indent=0, sort_keys=True) + "\n")
        reload_model()
        self.stdout.write(f"Wrote {output} ({len(findings)} findings, {len(names)} features).")


def _training_findings() -> list[dict]:
    """The training file's findings, then the shared labels' tuning half (a theme either reader gave
    counts), in a fixed order."""
    findings = [
        {"text": f["text"], "section": f["section"], "kind": f["kind"], "themes": set(f["themes"])}
        for f in json.loads(TRAINING.read_text())["findings"]
    ]
    if SHARED_LABELS.exists():
        for label in read_labels(SHARED_LABELS):
            if label_split(label["file"]) == "tune":
                findings.append(
                    {
                        "text": label["text"],
                        "section": label["section"],
                        "kind": label["kind"],
                        "themes": set(label["either"]),
                        "both": set(label["both"]),
                    }
                )
    return findings


def _f1(predicted, wanted) -> float:
    true_positives = int((predicted & wanted).sum())
    wrong = int((predicted & ~wanted).sum()) + int((~predicted & wanted).sum())
    return 2 * true_positives / (2 * true_positives + wrong) if true_positives else 0.0


def _two_reader_f1(findings, rows, out_of_fold, themes, factor) -> float:
    right = wrong = missed = 0
    for slug, theme in themes.items():
        for i in rows:
            tagged = out_of_fold[slug][i] >= theme["threshold"] * factor
            if tagged:
                right += slug in findings[i]["themes"]
                wrong += slug not in findings[i]["themes"]
            else:
                missed += slug in findings[i]["both"]
    return 2 * right / (2 * right + wrong + missed) if right else 0.0
