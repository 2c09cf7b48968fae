"""Train the classification model shipped with the library.

Run: ``python scripts/train_classifier.py [-o PATH]``. Reads the labelled
training corpus ``tests/data/{complaints,holdout,train}_{en,zh}.tsv``
(category, subject, description) and writes
``src/complaintflow/rules/data/model.json`` (or ``PATH``). The frozen
held-out set ``tests/data/heldout_v2_*.tsv`` is never read here.

Hosts train on their own data with ``complaintflow rules train``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from complaintflow.rules._model import read_labelled, train

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "src" / "complaintflow" / "rules" / "data" / "model.json"
FILES = [
    f"{kind}_{lang}.tsv" for kind in ("complaints", "holdout", "train") for lang in ("en", "zh")
]
CATEGORIES = ("service", "goods", "after_sales", "transaction_dispute", "violation")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    examples = [ex for name in FILES for ex in read_labelled(DATA / name)]
    model = train(examples, categories=CATEGORIES, info={"corpus": FILES})
    model.save(args.output)
    size = args.output.stat().st_size
    print(
        f"{args.output.name}: {len(model.counts)} features, {len(examples)} examples, "
        f"cross-validated accuracy {model.info['cv_accuracy']:.1%}, "
        f"temperature {model.temperature:g}, {size / 1024:.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
