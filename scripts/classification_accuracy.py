"""Accuracy of the default classification rules on the labelled corpus.

Run: ``python scripts/classification_accuracy.py [-v]``. Reads
``tests/data/complaints_en.tsv`` and ``tests/data/complaints_zh.tsv``
(category, subject, description), classifies each with
``RuleSet.default()`` and prints the accuracy per language and per category;
``-v`` also lists every miss with the rules that matched. Exits 1 when an
accuracy is below 90 %.

The default rules were written with that corpus in view, so it also prints
the accuracy on ``tests/data/holdout_<lang>.tsv``: complaints written after
the rules were fixed and never used to change them (reported, not gated).
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
REQUIRED = 0.90


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


def main(argv: list[str]) -> int:
    rules = cf.RuleSet.default()
    verbose = "-v" in argv
    ok = True
    for lang in LANGUAGES:
        rows = corpus(lang)
        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        misses = []
        for expected, subject, description in rows:
            result = rules.classify(complaint(subject, description))
            total[expected] += 1
            if result.category == expected:
                right[expected] += 1
            else:
                misses.append((expected, subject, result))
        accuracy = sum(right.values()) / len(rows)
        ok = ok and accuracy >= REQUIRED
        print(f"{lang}: {sum(right.values())}/{len(rows)} correct, accuracy {accuracy:.1%}")
        for cat in sorted(total):
            print(f"  {cat:<20} {right[cat]:>3}/{total[cat]:<3} {right[cat] / total[cat]:.0%}")
        if verbose:
            for expected, subject, result in misses:
                print(
                    f"  MISS expected {expected}: {subject!r}\n    "
                    + result.explain().replace("\n", "\n    ")
                )
    for lang in LANGUAGES:
        rows = corpus(lang, "holdout")
        hits = sum(rules.classify(complaint(s, d)).category == cat for cat, s, d in rows)
        print(f"{lang} holdout: {hits}/{len(rows)} correct, accuracy {hits / len(rows):.1%}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
