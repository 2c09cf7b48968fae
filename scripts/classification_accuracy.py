"""Accuracy of the default classification (rules first, then the shipped
model) per language, on the frozen held-out set and on the training corpus.

Run: ``python scripts/classification_accuracy.py [-v]``. For each language
it prints accuracy, the share left unclassified (needing triage),
precision and recall per category and the confusion matrix (rows: the
label, columns: the result, ``-`` for unclassified), first for
``tests/data/heldout_v2_<lang>.tsv`` and then for the training corpus
(``tests/data/{complaints,holdout,train}_<lang>.tsv``); the rules alone are
shown beside for comparison. ``-v`` lists the misses on the training corpus
(never on the held-out set, which is not used to tune anything). Exits 1
when a held-out accuracy is below 90 % or more than 5 % is unclassified.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import complaintflow as cf

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
LANGUAGES = ("en", "zh")
CATEGORIES = ("service", "goods", "after_sales", "transaction_dispute", "violation")
SHORT = {"service": "serv", "goods": "goods", "after_sales": "after", "transaction_dispute": "disp"}
REQUIRED = 0.90
MAX_UNCLASSIFIED = 0.05
HELDOUT = "heldout_v2"
TRAINING = ("complaints", "holdout", "train")


def corpus(lang: str, kind: str = "complaints") -> list[tuple[str, str, str]]:
    with (DATA / f"{kind}_{lang}.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(r["category"], r["subject"], r["description"]) for r in rows]


def complaint(subject: str, description: str) -> cf.Complaint:
    t = datetime(2026, 3, 9, tzinfo=UTC)
    return cf.Complaint(
        id="c",
        channel="web",
        category=None,
        complainant=cf.Party(id="u"),
        respondent=None,
        subject=subject,
        description=description,
        evidence=(),
        order_id=None,
        received_at=t,
        status=cf.Status.received,
        version=1,
        updated_at=t,
    )


def report(
    title: str, rules: cf.RuleSet, rows: list[tuple[str, str, str]], verbose: bool
) -> tuple[float, float]:
    pairs: Counter[tuple[str, str]] = Counter()
    misses = []
    for expected, subject, description in rows:
        result = rules.classify(complaint(subject, description))
        got = result.category or "-"
        pairs[expected, got] += 1
        if got != expected:
            misses.append((expected, subject, result))
    n = len(rows)
    right = sum(v for (e, g), v in pairs.items() if e == g)
    unclassified = sum(v for (_, g), v in pairs.items() if g == "-")
    print(f"{title}: {right}/{n} correct, accuracy {right / n:.1%}, ", end="")
    print(f"unclassified {unclassified / n:.1%}")
    print(f"  {'category':<20} {'precision':>9} {'recall':>7}   confusion (row: label)")
    cols = [*CATEGORIES, "-"]
    print(f"  {'':<38}" + "".join(f"{SHORT.get(c, c)[:5]:>6}" for c in cols))
    for cat in CATEGORIES:
        tp = pairs[cat, cat]
        predicted = sum(v for (_, g), v in pairs.items() if g == cat)
        actual = sum(v for (e, _), v in pairs.items() if e == cat)
        precision = f"{tp / predicted:.0%}" if predicted else "-"
        recall = f"{tp / actual:.0%}" if actual else "-"
        row = "".join(f"{pairs[cat, c]:>6}" for c in cols)
        print(f"  {cat:<20} {precision:>9} {recall:>7}   {row}")
    if verbose:
        for expected, subject, result in misses:
            print(
                f"  MISS expected {expected}: {subject!r}\n    "
                + result.explain().replace("\n", "\n    ")
            )
    return right / n, unclassified / n


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    combined = cf.RuleSet.default()
    rules_only = combined.with_model(None)
    ok = True
    for lang in LANGUAGES:
        held = corpus(lang, HELDOUT)
        accuracy, unclassified = report(
            f"{lang} held-out, rules + model", combined, held, verbose=False
        )
        ok = ok and accuracy >= REQUIRED and unclassified <= MAX_UNCLASSIFIED
        report(f"{lang} held-out, rules only", rules_only, held, verbose=False)
        training = [row for kind in TRAINING for row in corpus(lang, kind)]
        report(f"{lang} training corpus, rules + model", combined, training, verbose)
        print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
