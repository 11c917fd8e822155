"""Train the theme model (inspections/theme_model.json) from labelled findings.

    python manage.py train_themes

Reads fixtures/theme_training.json (findings read once for themes, from reports outside the shared
labels) and the tuning half of ../shared/labels/dev_theme_labels.json (never its held-out half),
reads each finding's words and rule matches as tagging does, and fits one logistic regression per
theme (scikit-learn, liblinear, L2, fixed seed). A theme is tagged when its probability reaches one of
two thresholds: a lower one where the theme's rules match the finding, a higher one where they do not.
The pair is the one that scores best by the shared labels' two-reader rule on their tuning half,
predicted out of fold (five folds, split by report). The same labels, rules and code give the same
file, byte for byte on the same releases of NumPy and scikit-learn (other releases move some weights'
last digit: tests/test_themes.py compares to that).
"""

import hashlib
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
# Where a theme's rules match, the model's evidence needs less weight to tag it (tuning-half cross-validation:
# two-reader F1 0.892 with the pair 0.25 / 0.45 against 0.883 with one threshold for both).
RULE_THRESHOLDS = [round(0.15 + 0.05 * step, 2) for step in range(5)]
THRESHOLDS = [round(0.3 + 0.05 * step, 2) for step in range(7)]
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
        # A finding read twice is two rows of half weight, one per reading: the model learns how likely
        # a reader is to give each theme, which is what the two-reader rule below rewards.
        second = [i for i, finding in enumerate(findings) if "second" in finding]
        rows = np.array(list(range(len(findings))) + second)
        weights = np.array(
            [0.5 if "second" in finding else 1.0 for finding in findings] + [0.5] * len(second)
        )
        training = matrix[rows]
        folds = np.array([_fold(findings[i]["report"]) for i in rows])
        matched = np.array([[slug in tags for slug in slugs] for tags in rule_tags])
        themes = {}
        out_of_fold = np.zeros((len(findings), len(slugs)))
        learned = []
        for column, slug in enumerate(slugs):
            wanted = np.array(
                [slug in finding["themes"] for finding in findings]
                + [slug in findings[i]["second"] for i in second]
            )
            if wanted.sum() < FOLDS:
                continue

            def fit(chosen, wanted=wanted):
                model = LogisticRegression(C=C, solver="liblinear", max_iter=5000, random_state=0)
                return model.fit(training[chosen], wanted[chosen], sample_weight=weights[chosen])

            for fold in range(FOLDS):
                held = folds[: len(findings)] == fold
                out_of_fold[held, column] = fit(folds != fold).predict_proba(matrix[held])[:, 1]
            learned.append(column)
            model = fit(np.ones(len(rows), dtype=bool))
            themes[slug] = {
                "intercept": round(float(model.intercept_[0]), 4),
                "labelled": sum(slug in f["themes"] or slug in f.get("second", ()) for f in findings),
                "weights": {
                    names[i]: round(float(weight), 4)
                    for i, weight in enumerate(model.coef_[0])
                    if abs(weight) >= SMALLEST_WEIGHT
                },
            }
            self.stdout.write(f"{slug:<24} {int(wanted.sum()):5d} labelled")
        # Two readers: a theme either gave is right, one both gave is missed. The thresholds are the pair
        # that scores best by that rule on the shared labels' tuning half, predicted out of fold.
        two_readers = [i for i, finding in enumerate(findings) if "both" in finding]
        if not two_readers:
            raise CommandError(
                f"The thresholds are chosen on the shared labels' tuning half: {SHARED_LABELS} is absent."
            )
        either = np.array([[slug in findings[i]["themes"] for slug in slugs] for i in two_readers])[
            :, learned
        ]
        both = np.array([[slug in findings[i]["both"] for slug in slugs] for i in two_readers])[:, learned]
        probabilities = out_of_fold[two_readers][:, learned]
        rules = matched[two_readers][:, learned]

        def scored(pair):
            tagged = probabilities >= np.where(rules, pair[0], pair[1])
            return _two_reader_f1(tagged, either, both)

        pairs = [(low, high) for low in RULE_THRESHOLDS for high in THRESHOLDS if low <= high]
        rule_threshold, threshold = max(
            pairs, key=lambda pair: (scored(pair), -abs(pair[0] - 0.25), -abs(pair[1] - 0.5))
        )
        for theme in themes.values():
            theme["threshold"] = threshold
            theme["rule_threshold"] = rule_threshold
        self.stdout.write(
            f"Thresholds {rule_threshold} where the theme's rules match, {threshold} where they do not: "
            f"two-reader F1 out of fold on the tuning half {scored((rule_threshold, threshold)):.3f}."
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
        {
            "report": f["report"],
            "text": f["text"],
            "section": f["section"],
            "kind": f["kind"],
            "themes": set(f["themes"]),
            **({"second": set(f["second_reading"])} if "second_reading" in f else {}),
        }
        for f in json.loads(TRAINING.read_text())["findings"]
    ]
    if SHARED_LABELS.exists():
        for label in read_labels(SHARED_LABELS):
            if label_split(label["file"]) == "tune":
                findings.append(
                    {
                        "report": label["file"],
                        "text": label["text"],
                        "section": label["section"],
                        "kind": label["kind"],
                        "themes": set(label["either"]),
                        "both": set(label["both"]),
                    }
                )
    return findings


def _fold(report: str) -> int:
    """A report's cross-validation fold: every finding of a report in the same one."""
    return hashlib.sha256(report.encode()).digest()[0] % FOLDS


def _two_reader_f1(tagged, either, both) -> float:
    """Micro F1 by the shared labels' rule: a theme tagged is right if either reader gave it, and a theme
    both gave is missed if it is not tagged."""
    right = int((tagged & either).sum())
    wrong = int((tagged & ~either).sum()) + int((~tagged & both).sum())
    return 2 * right / (2 * right + wrong) if right else 0.0
