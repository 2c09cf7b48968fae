"""Classification cost: loading the shipped model, and classifying one
complaint, beside named anchors, in one run.

Run: ``python benchmarks/bench_classify.py [--n 2000]``. Complaints are the
training corpus (``tests/data/train_{en,zh}.tsv``), cycled to ``n``.

Rows:
- model load: ``TextModel.loads`` of ``rules/data/model.json`` (parse, check,
  precompute log-probabilities). Anchor: ``json.loads`` of the same text.
- per complaint: ``RuleSet.classify`` with the rules alone, with rules then
  model (the default), and ``TextModel.predict`` alone. Anchors: extracting
  the n-gram features alone, and one ``re.findall`` of words over the text.

Each timing is the median of several repeats.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import re
import statistics
import sys
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import complaintflow as cf
from complaintflow.rules._model import features

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
T0 = datetime(2026, 3, 9, tzinfo=UTC)


def complaint(subject: str, description: str) -> cf.Complaint:
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
        received_at=T0,
        status=cf.Status.received,
        version=1,
        updated_at=T0,
    )


def corpus() -> list[tuple[str, str]]:
    out = []
    for lang in ("en", "zh"):
        with (DATA / f"train_{lang}.tsv").open(encoding="utf-8", newline="") as f:
            out += [(r["subject"], r["description"]) for r in csv.DictReader(f, delimiter="\t")]
    return out


def median_s(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeat))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="complaints to classify")
    args = parser.parse_args(argv)
    text = (
        resources.files("complaintflow.rules")
        .joinpath("data", "model.json")
        .read_text(encoding="utf-8")
    )
    rows = corpus()
    items = [rows[i % len(rows)] for i in range(args.n)]
    complaints = [complaint(s, d) for s, d in items]
    texts = [f"{s}\n{d}" for s, d in items]
    combined = cf.RuleSet.default()
    rules_only = combined.with_model(None)
    model = cf.TextModel.default()
    word = re.compile(r"\w+")

    def each(fn: Callable[[Any], Any], xs: list[Any]) -> Callable[[], None]:
        def run() -> None:
            for x in xs:
                fn(x)

        return run

    load = median_s(lambda: cf.TextModel.loads(text), 15)
    parse = median_s(lambda: json.loads(text), 15)
    per = {
        "RuleSet.classify, rules then model (default)": each(combined.classify, complaints),
        "RuleSet.classify, rules alone": each(rules_only.classify, complaints),
        "TextModel.predict alone": each(model.predict, texts),
        "anchor: n-gram features alone": each(features, texts),
        "anchor: re.findall(r'\\w+') over the text": each(word.findall, texts),
    }
    timings = {name: median_s(fn, 5) / args.n for name, fn in per.items()}
    ours = timings["RuleSet.classify, rules then model (default)"]
    print(
        f"complaintflow {cf.__version__}, Python {platform.python_version()}, n={args.n}, "
        f"model {len(text) / 1024:.0f} KiB, {len(model.counts)} features"
    )
    print()
    print(f"| {'measure':<48} | {'value':>10} | {'vs ours':>8} |")
    print(f"|{'-' * 50}|{'-' * 12}|{'-' * 10}|")
    print(f"| {'model load: TextModel.loads':<48} | {load * 1e3:>7.1f} ms | {'1.00x':>8} |")
    print(f"| {'anchor: json.loads of the same file':<48} | {parse * 1e3:>7.1f} ms | ", end="")
    print(f"{parse / load:>7.2f}x |")
    for name, t in timings.items():
        print(f"| {name:<48} | {t * 1e6:>7.1f} µs | {t / ours:>7.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
