"""The learned fallback of classification: multinomial naive Bayes over
character n-grams (Chinese, 1 to 3 characters) and word n-grams (other
scripts, 1 and 2 words).

Pure Python at run time: a model is a small JSON file of per-category
feature counts (see :meth:`TextModel.to_json`). Training
(:func:`train`) is pure Python too, so hosts can retrain on their own
labelled complaints with ``complaintflow rules train``.

The scores are calibrated with a temperature found by cross-validation on
the training data, so :attr:`Prediction.confidence` is a probability a
triage threshold can be set against.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from complaintflow.errors import ComplaintFlowError
from complaintflow.rules._text import normalize

__all__ = [
    "FORMAT",
    "ModelError",
    "Prediction",
    "TextModel",
    "features",
    "read_labelled",
    "train",
]

FORMAT: Final = "complaintflow-nb/1"
_CJK_RUN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD: Final = re.compile(r"[a-z][a-z0-9']*")
_MAX_TEXT: Final = 20_000
MAX_EXAMPLES: Final = 1_000_000


class ModelError(ComplaintFlowError, ValueError):
    """A model file or a labelled training file that cannot be used; the
    message names the file, the line or key, and the reason."""


def _stem(word: str) -> str:
    word = word.replace("'", "")
    for end in ("ing", "ed", "es", "s"):
        if len(word) > len(end) + 3 and word.endswith(end) and not word.endswith("ss"):
            return word[: -len(end)]
    return word


def features(text: str) -> list[str]:
    """The distinct features of ``text``, in order of first appearance:
    character 1-, 2- and 3-grams of every run of Chinese characters, and
    words (lightly stemmed) and word pairs of the rest.

    >>> features("Refunded 退款了")
    ['退', '款', '了', '退款', '款了', '退款了', 'refund']
    """
    t = normalize(text[:_MAX_TEXT])
    out: dict[str, None] = {}
    for run in _CJK_RUN.findall(t):
        for n in (1, 2, 3):
            for i in range(len(run) - n + 1):
                out[run[i : i + n]] = None
    words = [_stem(w) for w in _WORD.findall(_CJK_RUN.sub(" ", t))]
    for w in words:
        out[w] = None
    for a, b in itertools.pairwise(words):
        out[f"{a} {b}"] = None
    return list(out)


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the model says about one text: every category's probability
    (highest first) and the features that weighed most for the winner
    against the runner-up, each with its weight (a log-likelihood ratio)."""

    probabilities: tuple[tuple[str, float], ...]
    features: tuple[tuple[str, float], ...]

    @property
    def category(self) -> str:
        return self.probabilities[0][0]

    @property
    def confidence(self) -> float:
        return self.probabilities[0][1]


class TextModel:
    """A trained naive Bayes model. Build one with :func:`train`, read one
    with :meth:`load`/:meth:`loads`, or get the shipped one with
    :meth:`default`."""

    def __init__(
        self,
        categories: Sequence[str],
        priors: Sequence[int],
        counts: Mapping[str, Sequence[int]],
        *,
        alpha: float = 1.0,
        temperature: float = 1.0,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.categories: tuple[str, ...] = tuple(categories)
        self.priors: tuple[int, ...] = tuple(priors)
        self.counts: Mapping[str, Sequence[int]] = dict(counts)
        self.alpha = alpha
        self.temperature = temperature
        self.info: dict[str, Any] = dict(info or {})
        k = len(self.categories)
        totals = [sum(col) for col in zip(*self.counts.values(), strict=True)] or [0] * k
        vocab = len(self.counts)
        docs = sum(self.priors)
        self._log_prior = [math.log((p + 1) / (docs + k)) for p in self.priors]
        self._log_unseen = [-math.log(t + alpha * vocab) for t in totals]
        self._log: dict[str, tuple[float, ...]] = {}
        """log P(feature | category), computed on first use."""

    def _row(self, f: str) -> tuple[float, ...] | None:
        row = self._log.get(f)
        if row is None:
            c = self.counts.get(f)
            if c is None:
                return None
            a = self.alpha
            row = self._log[f] = tuple(
                math.log(x + a) + u for x, u in zip(c, self._log_unseen, strict=True)
            )
        return row

    def _score(
        self, feats: Iterable[str]
    ) -> tuple[list[float], list[tuple[str, tuple[float, ...]]]]:
        known = [(f, row) for f in feats if (row := self._row(f)) is not None]
        if not known:
            return list(self._log_prior), known
        sums = zip(*(row for _, row in known), strict=True)
        return [p + sum(col) for p, col in zip(self._log_prior, sums, strict=True)], known

    def __repr__(self) -> str:
        return f"TextModel({len(self.categories)} categories, {len(self.counts)} features)"

    # -- using -------------------------------------------------------------------

    def scores(self, text: str) -> tuple[list[float], list[str]]:
        """Every category's log score for ``text``, and the known features."""
        s, known = self._score(features(text))
        return s, [f for f, _ in known]

    def predict(
        self, text: str, *, allowed: Iterable[str] | None = None, top_features: int = 5
    ) -> Prediction | None:
        """The categories of ``text`` by probability (``None`` when no
        category is ``allowed``). When the model knows none of its features
        the priors rank them and :attr:`Prediction.features` is empty."""
        s, known = self._score(features(text))
        only = None if allowed is None else frozenset(allowed)
        keep = [i for i, c in enumerate(self.categories) if only is None or c in only]
        if not keep:
            return None
        t = self.temperature
        top = max(s[i] for i in keep)
        weights = {i: math.exp((s[i] - top) / t) for i in keep}
        total = sum(weights.values())
        ranked = sorted(keep, key=lambda i: (-s[i], self.categories[i]))
        probs = tuple((self.categories[i], weights[i] / total) for i in ranked)
        best = ranked[0]
        second = ranked[1] if len(ranked) > 1 else None
        why: list[tuple[str, float]] = []
        for f, row in known:
            gain = row[best] - (row[second] if second is not None else max(self._log_unseen))
            if gain > 0:
                why.append((f, round(gain, 3)))
        why.sort(key=lambda fw: (-fw[1], fw[0]))
        return Prediction(probabilities=probs, features=tuple(why[:top_features]))

    # -- reading and writing -----------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "categories": list(self.categories),
            "priors": list(self.priors),
            "alpha": self.alpha,
            "temperature": self.temperature,
            "info": self.info,
            "counts": {f: list(v) for f, v in sorted(self.counts.items())},
        }

    def to_json(self) -> str:
        """The model as compact JSON text."""
        return json.dumps(self.to_data(), ensure_ascii=False, separators=(",", ":"))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def loads(cls, text: str, *, source: str = "<string>") -> TextModel:
        """Read a model from JSON text; ``source`` names it in errors.

        :raises ModelError: naming the key and the reason."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ModelError(f"{source}: not valid JSON: {e}") from None
        return cls.from_data(data, source=source)

    @classmethod
    def load(cls, path: str | Path) -> TextModel:
        """Read a model file written by :meth:`save`."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ModelError(f"{path}: cannot read the file: {e}") from None
        return cls.loads(text, source=str(path))

    @classmethod
    def from_data(cls, data: Any, *, source: str = "<data>") -> TextModel:
        def bad(key: str, why: str) -> ModelError:
            return ModelError(f"{source}: {key}: {why}")

        if not isinstance(data, dict):
            raise bad("", "must be a JSON object")
        if data.get("format") != FORMAT:
            raise bad("format", f"must be {FORMAT!r}, not {data.get('format')!r}")
        cats = data.get("categories")
        if (
            not isinstance(cats, list)
            or len(cats) < 2
            or not all(isinstance(c, str) and c for c in cats)
            or len(set(cats)) != len(cats)
        ):
            raise bad("categories", "must be a list of at least two distinct names")
        k = len(cats)

        def counts_ok(v: Any) -> bool:
            return (
                type(v) is list
                and len(v) == k
                and all(type(x) is int and x >= 0 for x in v)  # bool is not int here
            )

        priors = data.get("priors")
        if not counts_ok(priors):
            raise bad("priors", f"must be {k} counts (integers >= 0)")
        for key in ("alpha", "temperature"):
            v = data.get(key)
            if not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v < 1e6:
                raise bad(key, "must be a positive number")
        counts = data.get("counts")
        if not isinstance(counts, dict) or not counts:
            raise bad("counts", "must be a non-empty object of feature -> counts")
        if not all(map(counts_ok, counts.values())):
            f = next(f for f, v in counts.items() if not counts_ok(v))
            raise bad(f"counts[{f!r}]", f"must be {k} counts (integers >= 0)")
        info = data.get("info", {})
        if not isinstance(info, dict):
            raise bad("info", "must be an object")
        assert isinstance(priors, list)
        return cls(
            cats,
            priors,
            counts,
            alpha=float(data["alpha"]),
            temperature=float(data["temperature"]),
            info=info,
        )

    @classmethod
    def default(cls) -> TextModel:
        """The model shipped with the library, trained by
        ``scripts/train_classifier.py`` on the repository's corpus."""
        return _default_model()


@cache
def _default_model() -> TextModel:
    text = (
        resources.files("complaintflow.rules")
        .joinpath("data", "model.json")
        .read_text(encoding="utf-8")
    )
    return TextModel.loads(text, source="complaintflow/rules/data/model.json")


# -- training ------------------------------------------------------------------


def read_labelled(path: str | Path) -> list[tuple[str, str]]:
    """``(category, text)`` pairs from a labelled TSV file with a header
    line naming ``category`` and ``description`` (``subject`` optional).

    :raises ModelError: naming the file, the line and the reason."""
    import csv

    p = Path(path)
    try:
        with p.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t")
            fields = reader.fieldnames or []
            if "category" not in fields or "description" not in fields:
                raise ModelError(
                    f"{p}: line 1: the header must name 'category' and 'description' "
                    f"(tab-separated), not {fields!r}"
                )
            out: list[tuple[str, str]] = []
            for row in reader:
                line = reader.line_num
                cat = (row.get("category") or "").strip()
                text = f"{row.get('subject') or ''} {row.get('description') or ''}".strip()
                if not cat:
                    raise ModelError(f"{p}: line {line}: category: empty")
                if not text:
                    raise ModelError(f"{p}: line {line}: description: empty")
                out.append((cat, text))
                if len(out) > MAX_EXAMPLES:
                    raise ModelError(f"{p}: more than {MAX_EXAMPLES} examples")
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ModelError(f"{p}: cannot read the file: {e}") from None
    return out


def _fit(
    examples: Sequence[tuple[str, list[str]]],
    categories: Sequence[str],
    *,
    alpha: float,
    min_df: int,
    max_features: int,
    temperature: float = 1.0,
    info: Mapping[str, Any] | None = None,
) -> TextModel:
    index = {c: i for i, c in enumerate(categories)}
    k = len(categories)
    priors = [0] * k
    counts: dict[str, list[int]] = {}
    for cat, feats in examples:
        i = index[cat]
        priors[i] += 1
        for f in feats:
            row = counts.get(f)
            if row is None:
                row = counts[f] = [0] * k
            row[i] += 1
    kept = {f: v for f, v in counts.items() if sum(v) >= min_df}
    if len(kept) > max_features:
        n = len(examples)
        kept = dict(
            sorted(kept.items(), key=lambda fv: (-_chi2(fv[1], priors, n), fv[0]))[:max_features]
        )
    if not kept:
        kept = counts
    return TextModel(categories, priors, kept, alpha=alpha, temperature=temperature, info=info)


def _chi2(row: Sequence[int], priors: Sequence[int], n: int) -> float:
    """The largest chi-square statistic of the feature against one category."""
    df = sum(row)
    best = 0.0
    for a, docs in zip(row, priors, strict=True):
        b, c = df - a, docs - a
        d = n - a - b - c
        den = (a + b) * (c + d) * (a + c) * (b + d)
        if den:
            best = max(best, n * (a * d - b * c) ** 2 / den)
    return best


def _temperature(model_scores: Sequence[tuple[int, list[float]]]) -> float:
    """The temperature that minimises the log loss of held-back scores."""
    grid = [1.0, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50]
    best_t, best_loss = 1.0, math.inf
    for t in grid:
        loss = 0.0
        for truth, s in model_scores:
            top = max(s)
            z = sum(math.exp((x - top) / t) for x in s)
            loss -= (s[truth] - top) / t - math.log(z)
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t


def _training_categories(
    data: list[tuple[str, list[str]]], categories: Iterable[str] | None
) -> list[str]:
    """The categories to train: ``categories`` (in order) or those seen,
    each with examples; raises :class:`ModelError` otherwise."""
    seen = sorted({c for c, _ in data})
    cats = list(seen if categories is None else dict.fromkeys(categories))
    unknown = sorted(set(seen) - set(cats))
    if unknown:
        raise ModelError(f"category: {', '.join(unknown)} not among {', '.join(cats)}")
    empty = [c for c in cats if c not in seen]
    if len(cats) < 2 or empty:
        raise ModelError(
            "examples: need labelled examples of at least two categories"
            + (f"; none for {', '.join(empty)}" if empty else "")
        )
    return cats


def _cross_validate(
    data: list[tuple[str, list[str]]],
    cats: list[str],
    *,
    folds: int,
    seed: int,
    alpha: float,
    min_df: int,
    max_features: int,
) -> tuple[list[tuple[int, list[float]]], int]:
    """The held-back scores of ``folds``-fold cross-validation (none with too
    few folds or examples) and how many of them were right."""
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    held: list[tuple[int, list[float]]] = []
    right = 0
    index = {c: i for i, c in enumerate(cats)}
    if folds >= 2 and len(data) >= folds * 2:
        for f in range(folds):
            test = set(order[f::folds])
            part = _fit(
                [data[i] for i in order if i not in test],
                cats,
                alpha=alpha,
                min_df=min_df,
                max_features=max_features,
            )
            for i in test:
                cat, feats = data[i]
                s, _ = part._score(feats)
                held.append((index[cat], s))
                right += max(range(len(s)), key=lambda j: s[j]) == index[cat]
    return held, right


def train(
    examples: Iterable[tuple[str, str]],
    *,
    categories: Iterable[str] | None = None,
    alpha: float = 0.5,
    min_df: int = 2,
    max_features: int = 12_000,
    folds: int = 5,
    seed: int = 0,
    info: Mapping[str, Any] | None = None,
) -> TextModel:
    """Train a model on ``(category, text)`` pairs.

    The temperature of the probabilities comes from ``folds``-fold
    cross-validation on the same examples; ``info`` records where they came
    from (kept in the model file), with the cross-validated accuracy added.

    :raises ModelError: fewer than two categories, or a category (of
        ``categories`` when given) without examples."""
    data = [(c, features(t)) for c, t in examples]
    cats = _training_categories(data, categories)
    if not 0 < alpha <= 10 or min_df < 1 or max_features < 1 or folds < 0:
        raise ModelError("alpha, min_df, max_features or folds: out of range")
    held, right = _cross_validate(
        data, cats, folds=folds, seed=seed, alpha=alpha, min_df=min_df, max_features=max_features
    )
    temperature = _temperature(held) if held else 1.0
    meta = dict(info or {})
    meta["examples"] = len(data)
    if held:
        meta["cv_accuracy"] = round(right / len(held), 4)
    return _fit(
        data,
        cats,
        alpha=alpha,
        min_df=min_df,
        max_features=max_features,
        temperature=temperature,
        info=meta,
    )
