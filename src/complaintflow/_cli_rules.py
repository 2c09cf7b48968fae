"""``complaintflow rules train|triage|export``: retrain the classification
model on labelled complaints, list the triage queue of a SQLite store, and
export handlers' classifications as labelled data."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from complaintflow._cli_options import add_keys_argument

__all__ = ["add_commands"]


def add_commands(rsub: Any) -> None:
    """Add the subcommands to the ``rules`` subparsers; each sets ``run``."""
    t = rsub.add_parser(
        "train",
        help="train a classification model on labelled complaints",
        description="Train a naive Bayes classification model on labelled TSV files "
        "(header: category, subject, description) and write it as JSON. Load it with "
        "cf.TextModel.load(PATH) and pass cf.RuleSet(model=...) to the engine.",
    )
    t.add_argument("file", nargs="+", help="labelled TSV file(s)")
    t.add_argument("-o", "--output", required=True, help="the model file to write (JSON)")
    t.set_defaults(run=_train)
    q = rsub.add_parser("triage", help="list the open complaints that need triage")
    q.add_argument("--db", required=True, help="the SQLite store file")
    q.add_argument("--limit", type=int, default=100, help="at most this many (%(default)s)")
    q.set_defaults(run=_triage)
    e = rsub.add_parser(
        "export", help="write handlers' classifications as labelled data for training"
    )
    e.add_argument("--db", required=True, help="the SQLite store file")
    e.add_argument("-o", "--output", required=True, help="the TSV file to write")
    add_keys_argument(e)
    e.set_defaults(run=_export)


def _train(args: argparse.Namespace) -> int:
    from complaintflow.rules._model import ModelError, read_labelled, train

    try:
        examples = [ex for path in args.file for ex in read_labelled(path)]
        model = train(examples, info={"corpus": list(args.file)})
        model.save(args.output)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {args.output}: cannot write the file: {e}", file=sys.stderr)
        return 1
    accuracy = model.info.get("cv_accuracy")
    cv = "" if accuracy is None else f", cross-validated accuracy {accuracy:.1%}"
    print(
        f"{args.output}: {len(model.counts)} features, {model.info['examples']} examples, "
        f"categories {', '.join(model.categories)}{cv}"
    )
    return 0


def _open(path: str) -> Any:
    from pathlib import Path

    from complaintflow.stores import SQLiteStore

    if not Path(path).is_file():
        print(f"error: --db: no such file {path!r}", file=sys.stderr)
        return None
    return SQLiteStore(path)


def _triage(args: argparse.Namespace) -> int:
    from complaintflow.errors import ComplaintFlowError
    from complaintflow.rules._learning import triage_queue

    store = _open(args.db)
    if store is None:
        return 1
    try:
        queue = triage_queue(store, limit=args.limit)
    except ComplaintFlowError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for c in queue:
        assert c.classification is not None
        top = ", ".join(f"{cat} {p:.2f}" for cat, p in c.classification.candidates) or "-"
        print(f"{c.id}\t{c.received_at.isoformat()}\t{top}\t{c.subject}")
    print(f"{len(queue)} complaint(s) need triage", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from complaintflow._cli_options import encryption_for, refused_outputs
    from complaintflow.errors import ComplaintFlowError
    from complaintflow.rules._learning import labelled_examples, write_labelled

    if refused_outputs(args.db, {"--output": args.output}):
        return 1
    store = _open(args.db)
    if store is None:
        return 1
    from complaintflow._vault import Vault

    try:  # the descriptions are in the vault
        vault = Vault(store, encryption_for(store, args.keys))
        n = write_labelled(labelled_examples(vault.screening(store)), args.output)
    except ComplaintFlowError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.output}: {n} labelled complaint(s)")
    return 0
