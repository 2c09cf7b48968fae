"""Rule sets: classification rules and screening settings, read from TOML.

A rule file is data: it is parsed with :mod:`tomllib` and checked key by
key; nothing in it is evaluated. Keywords are escaped before matching; a
``pattern`` is compiled only after checking its length and its shape
(:mod:`complaintflow.rules._patterns`: no construct that backtracks
catastrophically; ``re2`` when installed); a malformed or unsafe one is
reported like any other mistake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from complaintflow._rulefile import Checker, RuleFileError, parse_toml
from complaintflow.hookspecs import hookimpl
from complaintflow.models import Classification, Complaint
from complaintflow.rules._model import Prediction, TextModel
from complaintflow.rules._patterns import (
    MAX_PATTERN_TEXT,
    CompiledPattern,
    compile_pattern,
    unsafe_reason,
)
from complaintflow.rules._text import Term, compact, normalize

__all__ = [
    "BUILTIN_CATEGORY_IDS",
    "COMPLAINT_FIELDS",
    "DEFAULT_THRESHOLD",
    "DEFAULT_TRIAGE_THRESHOLD",
    "ClassificationResult",
    "DuplicateScreen",
    "IncompleteScreen",
    "MaliciousScreen",
    "Match",
    "Rule",
    "RuleSet",
]

BUILTIN_CATEGORY_IDS: Final = frozenset(
    {"service", "goods", "after_sales", "transaction_dispute", "violation"}
)
DEFAULT_THRESHOLD: Final = 2.0
"""The score a category needs when no rule set sets ``threshold``."""
DEFAULT_TRIAGE_THRESHOLD: Final = 0.5
"""The model's confidence below which a complaint needs triage, when no
rule set sets ``triage_threshold``."""
COMPLAINT_FIELDS: Final = ("respondent", "order_id", "description", "evidence")
"""Fields an ``incomplete`` screen may require."""
MAX_PATTERN: Final = 300
_TOKEN: Final = re.compile(r"[0-9a-z]+")
_ID: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,99}$")

_TOP_KEYS: Final = {"ruleset", "rules", "screening"}
_RULESET_KEYS: Final = {"name", "description", "threshold", "triage_threshold", "disable"}
_RULE_KEYS: Final = {
    "id",
    "category",
    "weight",
    "any",
    "all",
    "none",
    "pattern",
    "channel",
    "respondent_kind",
    "has_order",
    "description",
}
_SCREEN_KEYS: Final = {"duplicate", "incomplete", "malicious"}
_DUP_KEYS: Final = {"enabled", "similarity", "same_order"}
_INC_KEYS: Final = {"enabled", "default", "required"}
_MAL_KEYS: Final = {"enabled", "limit", "window_hours"}


@dataclass(frozen=True, slots=True)
class _Quick:
    """A necessary condition for a term to be in a text, cheap to test: a
    Chinese term is in the text without spaces (which is the whole test);
    a word term's first word is one of the text's words (with the endings a
    one-word term may take) or, for a prefix term, starts one."""

    compacted: str | None = None
    keys: frozenset[str] | None = None
    prefix: str | None = None

    @classmethod
    def of(cls, t: Term) -> _Quick:
        if t.cjk:
            return cls(compacted=compact(t.text))
        words = _TOKEN.findall(t.text.rstrip("*"))
        if not words or not t.text[:1].isalnum():
            return cls()
        if t.text.endswith("*") and len(words) == 1:
            return cls(prefix=words[0])
        if len(words) == 1:
            return cls(keys=frozenset(words[0] + e for e in ("", "s", "es", "d", "ed", "ing")))
        return cls(keys=frozenset(words[:1]))

    def may_match(self, compacted: str, tokens: frozenset[str]) -> bool:
        if self.compacted is not None:
            return self.compacted in compacted
        if self.keys is not None:
            return not self.keys.isdisjoint(tokens)
        if self.prefix is not None:
            return any(w.startswith(self.prefix) for w in tokens)
        return True


@dataclass(frozen=True, slots=True)
class Rule:
    """One classification rule: when every condition it has holds, it adds
    ``weight`` to its category's score.

    Text conditions look at the normalised subject and description:
    ``any`` (one of the terms), ``all`` (every term), ``none`` (no term),
    ``pattern`` (a checked regular expression). Field conditions look at the
    complaint: ``channel``, ``respondent_kind`` (one of the values) and
    ``has_order``."""

    id: str
    category: str
    weight: float = 1.0
    any: tuple[Term, ...] = ()
    all: tuple[Term, ...] = ()
    none: tuple[Term, ...] = ()
    pattern: CompiledPattern | None = None
    channel: frozenset[str] | None = None
    respondent_kind: frozenset[str] | None = None
    has_order: bool | None = None
    description: str = ""
    _quick: dict[int, _Quick] = field(default_factory=dict, init=False, repr=False, compare=False)

    _any: _Quick | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a quick test per term, on the words of the text (see _Quick), and
        # one for ``any`` as a whole: its words' keys together
        for t in (*self.any, *self.all, *self.none):
            self._quick[id(t)] = _Quick.of(t)
        quick = [self._quick[id(t)] for t in self.any]
        if quick and all(q.keys is not None for q in quick):
            keys = frozenset().union(*(q.keys or () for q in quick))
            object.__setattr__(self, "_any", _Quick(keys=keys))

    def _found(self, t: Term, text: str, compacted: str, tokens: frozenset[str]) -> bool:
        return self._quick[id(t)].may_match(compacted, tokens) and t.found_in(text, compacted)

    def match(
        self, c: Complaint, text: str, compacted: str, tokens: frozenset[str] | None = None
    ) -> str | None:
        """Why the rule matches ``c`` (its first matching term or condition),
        or ``None`` when it does not. ``tokens``: the words of ``text``
        (``[0-9a-z]+``), if the caller has them."""
        words = frozenset(_TOKEN.findall(text)) if tokens is None else tokens
        if self._any is not None and not self._any.may_match(compacted, words):
            return None
        why: list[str] = []
        if self.channel is not None:
            if c.channel not in self.channel:
                return None
            why.append(f"channel={c.channel}")
        if self.respondent_kind is not None:
            kind = c.respondent.kind if c.respondent is not None else None
            if kind not in self.respondent_kind:
                return None
            why.append(f"respondent_kind={kind}")
        if self.has_order is not None:
            if (c.order_id is not None) != self.has_order:
                return None
            why.append(f"has_order={str(self.has_order).lower()}")
        if self.none and any(self._found(t, text, compacted, words) for t in self.none):
            return None
        for t in self.all:
            if not self._found(t, text, compacted, words):
                return None
        if self.all:
            why.append("+".join(repr(t.text) for t in self.all))
        if self.any:
            hit = next((t for t in self.any if self._found(t, text, compacted, words)), None)
            if hit is None:
                return None
            why.append(repr(hit.text))
        if self.pattern is not None:
            m = self.pattern.search(text, 0, MAX_PATTERN_TEXT)
            if m is None:
                return None
            why.append(f"pattern {m.group(0)!r}")
        return ", ".join(why)


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that matched, and why."""

    rule: str
    category: str
    weight: float
    evidence: str


@dataclass(frozen=True, slots=True)
class ClassificationResult:
    """The outcome of :meth:`RuleSet.classify`: the category (``None`` when
    the complaint needs triage), the rules' best score, every category's
    rule score and the matches that explain them; when the rule set has a
    model, its prediction.

    ``source`` names what decided (``rules`` or ``model``), ``confidence``
    how sure it is (a clear rule decision counts as 1), ``features`` the
    model's features that weighed most (with their log-likelihood ratio) and
    ``candidates`` the likeliest categories with their probability (with no
    model: their share of the rule score)."""

    category: str | None
    score: float
    threshold: float
    scores: Mapping[str, float]
    matches: tuple[Match, ...]
    source: str = "rules"
    confidence: float | None = None
    candidates: tuple[tuple[str, float], ...] = ()
    features: tuple[tuple[str, float], ...] = ()
    needs_triage: bool = False
    prediction: Prediction | None = None

    @property
    def rules(self) -> tuple[str, ...]:
        """The ids of the rules behind the result: the winning category's
        when the rules decided it, every matching rule's otherwise."""
        if self.category is None or self.source != "rules":
            return tuple(m.rule for m in self.matches)
        return tuple(m.rule for m in self.matches if m.category == self.category)

    def explain(self) -> str:
        """What decided, then one line per matching rule and per weighty
        feature, for a handler."""
        if self.category is not None and self.source == "rules":
            head = f"{self.category} by rules (score {self.score:g} >= {self.threshold:g})"
        elif self.category is not None:
            head = f"{self.category} by model (confidence {self.confidence or 0:.2f})"
        else:
            top = ", ".join(f"{c} {p:.2f}" for c, p in self.candidates) or "none"
            head = f"needs triage (rule score {self.score:g}; candidates: {top})"
        lines = [head]
        lines += [f"  {m.rule} -> {m.category} +{m.weight:g}: {m.evidence}" for m in self.matches]
        lines += [f"  feature {f!r} +{w:g}" for f, w in self.features]
        return "\n".join(lines)

    def to_classification(self) -> Classification:
        """The :class:`~complaintflow.Classification` recorded on the complaint."""
        return Classification(
            category=self.category,
            score=self.score,
            rules=self.rules,
            source=self.source,
            confidence=None if self.confidence is None else round(self.confidence, 4),
            features=tuple(f for f, _ in self.features),
            candidates=tuple((c, round(p, 4)) for c, p in self.candidates),
            needs_triage=self.needs_triage,
        )


@dataclass(frozen=True, slots=True)
class DuplicateScreen:
    """``[screening.duplicate]``: another open complaint of the same
    complainant against the same respondent (or with none given) about the
    same order (``same_order``) or with near-identical normalised subject
    and description (``similarity``, 0 to 1)."""

    enabled: bool = True
    similarity: float = 0.9
    same_order: bool = True


@dataclass(frozen=True, slots=True)
class IncompleteScreen:
    """``[screening.incomplete]``: fields each category needs
    (``required``), and the fields every complaint needs (``default``)."""

    enabled: bool = True
    default: tuple[str, ...] = ()
    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MaliciousScreen:
    """``[screening.malicious]``: more than ``limit`` complaints from one
    complainant within ``window_hours`` earn a warning (a
    ``malicious_warning`` flag and a notification to the complainant); the
    next one over the limit after a warning is flagged ``malicious`` for
    human review. Never rejected automatically."""

    enabled: bool = True
    limit: int = 5
    window_hours: float = 24.0


class RuleSet:
    """Classification rules and screening settings (guide §2.3).

    Build one with :meth:`load` (a TOML file), :meth:`loads` (TOML text) or
    :meth:`default` (the rules shipped with the library). Rule sets combine
    with :meth:`merged`; a rule set is also a plugin: pass it in
    ``Engine(plugins=[...])`` and its rules join the defaults."""

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        *,
        name: str = "custom",
        source: str = "<code>",
        threshold: float | None = None,
        disable: Iterable[str] = (),
        duplicate: DuplicateScreen | None = None,
        incomplete: IncompleteScreen | None = None,
        malicious: MaliciousScreen | None = None,
        model: TextModel | None = None,
        triage_threshold: float | None = None,
    ) -> None:
        if model is not None and not isinstance(model, TextModel):
            raise _fail(source, "", "model", "must be a TextModel")
        if triage_threshold is not None and not 0 <= triage_threshold <= 1:
            raise _fail(source, "ruleset", "triage_threshold", "must be 0 to 1")
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.name = name
        self.source = source
        self._threshold = threshold
        self.model = model
        self._triage = triage_threshold
        self._allowed: frozenset[str] | None = None
        """The categories the model may choose (see :meth:`checked`)."""
        self.disable: frozenset[str] = frozenset(disable)
        self._duplicate = duplicate
        self._incomplete = incomplete
        self._malicious = malicious
        self._origins: dict[str, str] = {r.id: source for r in self.rules}
        self._tables: dict[str, str] = {r.id: f"rules[{i}]" for i, r in enumerate(self.rules)}
        self._optional: frozenset[str] = frozenset()
        """Ids of the shipped default rules (see :meth:`checked`)."""

    # -- settings, with the library's defaults -----------------------------

    @property
    def threshold(self) -> float:
        """The score a category needs to be chosen."""
        return DEFAULT_THRESHOLD if self._threshold is None else self._threshold

    @property
    def triage_threshold(self) -> float:
        """The model's confidence below which a complaint needs triage."""
        return DEFAULT_TRIAGE_THRESHOLD if self._triage is None else self._triage

    def with_model(
        self, model: TextModel | None, *, triage_threshold: float | None = None
    ) -> RuleSet:
        """This set with ``model`` as the fallback when the rules do not
        decide (``None``: rules only), and optionally another triage
        threshold."""
        if model is not None and not isinstance(model, TextModel):
            raise _fail(self.source, "", "model", "must be a TextModel")
        if triage_threshold is not None and not 0 <= triage_threshold <= 1:
            raise _fail(self.source, "ruleset", "triage_threshold", "must be 0 to 1")
        out = RuleSet.merged([self], name=self.name)
        out.model = model
        if triage_threshold is not None:
            out._triage = triage_threshold
        return out

    @property
    def duplicate(self) -> DuplicateScreen:
        return self._duplicate or DuplicateScreen()

    @property
    def incomplete(self) -> IncompleteScreen:
        return self._incomplete or IncompleteScreen()

    @property
    def malicious(self) -> MaliciousScreen:
        return self._malicious or MaliciousScreen()

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        model = "" if self.model is None else f", {self.model!r}"
        return (
            f"RuleSet({self.name!r}, {len(self.rules)} rules, threshold={self.threshold:g}{model})"
        )

    # -- the plugin side -----------------------------------------------------

    @hookimpl
    def complaintflow_rule_sets(self) -> Sequence[RuleSet]:
        return [self]

    # -- reading ---------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path, *, categories: Iterable[str] | None = None) -> RuleSet:
        """Read and check a TOML rule file.

        :param categories: the category ids rules may name (the five
            built-in ones when omitted).
        :raises RuleFileError: naming the file, the table and the key of
            every mistake."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            checker = Checker(str(p))
            checker.add("", "", f"cannot read the file: {e}")
            raise RuleFileError(checker.problems) from None
        return cls.loads(text, source=str(p), categories=categories)

    @classmethod
    def loads(
        cls, text: str, *, source: str = "<string>", categories: Iterable[str] | None = None
    ) -> RuleSet:
        """Like :meth:`load`, from TOML text; ``source`` names it in errors."""
        data = parse_toml(text, source)
        return cls.from_data(data, source=source, categories=categories)

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "<data>",
        categories: Iterable[str] | None = None,
    ) -> RuleSet:
        """Like :meth:`load`, from already-parsed TOML data."""
        known = frozenset(BUILTIN_CATEGORY_IDS if categories is None else categories)
        ck = Checker(source)
        if not isinstance(data, Mapping):
            ck.add("", "", "must be a table")
            ck.raise_if_any()
        ck.keys("", dict(data), _TOP_KEYS)
        name, threshold = "custom", None
        triage: float | None = None
        disable: tuple[str, ...] = ()
        head = ck.table("ruleset", "", data.get("ruleset"))
        if head is not None:
            ck.keys("ruleset", head, _RULESET_KEYS)
            name = ck.string("ruleset", "name", head.get("name")) or name
            ck.string("ruleset", "description", head.get("description"))
            threshold = ck.number(
                "ruleset", "threshold", head.get("threshold"), minimum=0, exclusive_minimum=True
            )
            triage = ck.number(
                "ruleset", "triage_threshold", head.get("triage_threshold"), minimum=0, maximum=1
            )
            disable = ck.strings("ruleset", "disable", head.get("disable")) or ()
        rules = _rules(ck, data.get("rules"), known)
        dup = inc = mal = None
        screening = ck.table("screening", "", data.get("screening"))
        if screening is not None:
            ck.keys("screening", screening, _SCREEN_KEYS)
            dup = _duplicate(ck, screening.get("duplicate"))
            inc = _incomplete(ck, screening.get("incomplete"), known)
            mal = _malicious(ck, screening.get("malicious"))
        if head is None and not rules and screening is None and not ck.problems:
            ck.add("", "", "empty rule file: expected [ruleset], [[rules]] or [screening]")
        ck.raise_if_any()
        return cls(
            rules,
            name=name,
            source=source,
            threshold=threshold,
            disable=disable,
            duplicate=dup,
            incomplete=inc,
            malicious=mal,
            triage_threshold=triage,
        )

    @classmethod
    def default(cls) -> RuleSet:
        """The rules shipped with the library: the five categories in Chinese
        and English, the screening defaults, and the shipped model
        (:meth:`TextModel.default`) as the fallback."""
        return _default()

    # -- combining ---------------------------------------------------------

    @classmethod
    def merged(cls, sets: Iterable[RuleSet], *, name: str = "merged") -> RuleSet:
        """One rule set from several, in order: rules are added up (an id
        may appear once), ``disable`` lists are joined, and a setting
        (``threshold``, each screen) comes from the last set that has it."""
        sets = list(sets)
        rules: list[Rule] = []
        origins: dict[str, str] = {}
        tables: dict[str, str] = {}
        problems = []
        threshold = None
        disable: set[str] = set()
        dup: DuplicateScreen | None = None
        inc: IncompleteScreen | None = None
        mal: MaliciousScreen | None = None
        model: TextModel | None = None
        triage: float | None = None
        allowed: frozenset[str] | None = None
        for s in sets:
            for r in s.rules:
                if r.id in origins:
                    ck = Checker(s._origins.get(r.id, s.source))
                    table = s._tables.get(r.id, "rules")
                    ck.add(table, "id", f"rule {r.id!r} is defined already in {origins[r.id]}")
                    problems += ck.problems
                    continue
                origins[r.id] = s._origins.get(r.id, s.source)
                tables[r.id] = s._tables.get(r.id, "rules")
                rules.append(r)
            threshold = s._threshold if s._threshold is not None else threshold
            disable |= s.disable
            dup = s._duplicate or dup
            inc = s._incomplete or inc
            mal = s._malicious or mal
            model = s.model or model
            triage = s._triage if s._triage is not None else triage
            allowed = s._allowed if s._allowed is not None else allowed
        if problems:
            raise RuleFileError(problems)
        out = cls(
            rules,
            name=name,
            source=", ".join(sorted(set(origins.values()))) or "<merged>",
            threshold=threshold,
            disable=disable,
            duplicate=dup,
            incomplete=inc,
            malicious=mal,
            model=model,
            triage_threshold=triage,
        )
        out._allowed = allowed
        out._origins = origins
        out._tables = tables
        out._optional = frozenset().union(*(s._optional for s in sets))
        return out

    def checked(self, categories: Iterable[str]) -> RuleSet:
        """This set for an engine with ``categories``: the default rules of
        a category that is not registered (e.g. a blocked built-in) are
        left out; any other rule naming an unknown category is a
        :class:`RuleFileError`."""
        known = set(categories)
        problems = []
        keep: list[Rule] = []
        for i, r in enumerate(self.rules):
            if r.category in known:
                keep.append(r)
            elif r.id not in self._optional:
                ck = Checker(self._origins.get(r.id, self.source))
                table = self._tables.get(r.id, f"rules[{i}]")
                ck.add(table, "category", _unknown_category(r.category, known))
                problems += ck.problems
        if problems:
            raise RuleFileError(problems)
        out = RuleSet.merged([self])
        out.rules = tuple(keep)
        out.name = self.name
        out._allowed = frozenset(known)
        return out

    def with_keywords(self, keywords: Mapping[str, Sequence[str]]) -> RuleSet:
        """This set plus one rule per category given that has no rule yet:
        ``<category>:keywords`` with weight :attr:`threshold`, matching any
        of its keywords (``Category.keywords`` of plugin categories)."""
        covered = {r.category for r in self.rules}
        extra = [
            Rule(
                id=f"{cid}:keywords",
                category=cid,
                weight=self.threshold,
                any=tuple(Term(k) for k in words),
                description="the category's keywords",
            )
            for cid, words in keywords.items()
            if cid not in covered and words
        ]
        if not extra:
            return self
        out = RuleSet.merged([self, RuleSet(extra, name=self.name, source="category keywords")])
        out.name = self.name
        return out

    # -- using ---------------------------------------------------------------

    def classify(self, complaint: Complaint) -> ClassificationResult:
        """Score every category on ``complaint`` and pick the best one if it
        reaches the threshold and no other category ties with it."""
        text = normalize(f"{complaint.subject} {complaint.description}")
        compacted = compact(text)
        tokens = frozenset(_TOKEN.findall(text))
        matches: list[Match] = []
        scores: dict[str, float] = {}
        for r in self.rules:
            if r.id in self.disable:
                continue
            why = r.match(complaint, text, compacted, tokens)
            if why is not None:
                matches.append(Match(r.id, r.category, r.weight, why))
                scores[r.category] = scores.get(r.category, 0.0) + r.weight
        matches.sort(key=lambda m: (-scores[m.category], m.category, -m.weight, m.rule))
        ranked = sorted(scores.values(), reverse=True)
        best = ranked[0] if ranked else 0.0
        winners = [c for c, s in scores.items() if s == best]
        category = winners[0] if best >= self.threshold and len(winners) == 1 else None
        ordered = dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))
        rules = ClassificationResult(
            category=category,
            score=best,
            threshold=self.threshold,
            scores=ordered,
            matches=tuple(matches),
        )
        if self.model is None:
            if category is not None:
                return replace(rules, confidence=1.0)
            total = sum(ordered.values())
            shares = tuple((c, s / total) for c, s in list(ordered.items())[:2])
            return replace(rules, candidates=shares, needs_triage=True, confidence=0.0)
        # with a model the rules decide only clearly: the winner leads every
        # other category by the threshold at least
        runner_up = ranked[1] if len(ranked) > 1 else 0.0
        if category is not None and (
            best - runner_up >= self.threshold or category not in self.model.categories
        ):
            # clear, or a category the model was never taught (a plugin's):
            # only the rules can judge it
            return replace(rules, confidence=1.0)
        p = self.model.predict(
            f"{complaint.subject}\n{complaint.description}", allowed=self._allowed
        )
        if p is None:
            return replace(rules, category=None, source="model", needs_triage=True, confidence=0.0)
        # the model decides only on evidence: a feature that favours its choice
        decided = p.confidence >= self.triage_threshold and bool(p.features)
        return replace(
            rules,
            category=p.category if decided else None,
            source="model",
            confidence=p.confidence,
            candidates=p.probabilities[:2],
            features=p.features,
            needs_triage=not decided,
            prediction=p,
        )


# -- reading helpers -----------------------------------------------------------


def _fail(source: str, table: str, key: str, reason: str) -> RuleFileError:
    ck = Checker(source)
    ck.add(table, key, reason)
    return RuleFileError(ck.problems)


def _unknown_category(cid: str, known: Iterable[str]) -> str:
    return f"unknown category {cid!r}; known: {', '.join(sorted(known))}"


def _rules(ck: Checker, value: Any, known: frozenset[str]) -> list[Rule]:
    if value is None:
        return []
    if not isinstance(value, list):
        ck.add("rules", "", "must be an array of tables ([[rules]])")
        return []
    out: list[Rule] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(value):
        table = f"rules[{i}]"
        if not isinstance(raw, dict):
            ck.add(table, "", "must be a table")
            continue
        if not raw:
            ck.add(table, "", "empty table")
            continue
        before = len(ck.problems)
        ck.keys(table, raw, _RULE_KEYS)
        rid = ck.string(table, "id", raw.get("id"), required=True)
        if rid is not None:
            if not _ID.match(rid):
                ck.add(table, "id", "use letters, digits and _ . : - (at most 100)")
            elif rid in seen:
                ck.add(table, "id", f"duplicate id {rid!r} (also rules[{seen[rid]}])")
            else:
                seen[rid] = i
        cat = ck.string(table, "category", raw.get("category"), required=True)
        if cat is not None and cat not in known:
            ck.add(table, "category", _unknown_category(cat, known))
        weight = ck.number(table, "weight", raw.get("weight"), minimum=0, exclusive_minimum=True)
        terms = {k: ck.strings(table, k, raw.get(k)) for k in ("any", "all", "none")}
        pattern = _pattern(ck, table, raw.get("pattern"))
        channel = ck.strings(table, "channel", raw.get("channel"))
        kinds = ck.strings(table, "respondent_kind", raw.get("respondent_kind"))
        has_order = ck.boolean(table, "has_order", raw.get("has_order"))
        description = ck.string(table, "description", raw.get("description")) or ""
        conditions = ("any", "all", "pattern", "channel", "respondent_kind", "has_order")
        if not any(raw.get(k) is not None for k in conditions):
            ck.add(table, "", f"no condition: give at least one of {', '.join(conditions)}")
        if len(ck.problems) != before:
            continue
        assert rid is not None
        assert cat is not None
        out.append(
            Rule(
                id=rid,
                category=cat,
                weight=1.0 if weight is None else weight,
                any=tuple(Term(t) for t in terms["any"] or ()),
                all=tuple(Term(t) for t in terms["all"] or ()),
                none=tuple(Term(t) for t in terms["none"] or ()),
                pattern=pattern,
                channel=None if channel is None else frozenset(channel),
                respondent_kind=None if kinds is None else frozenset(kinds),
                has_order=has_order,
                description=description,
            )
        )
    return out


def _pattern(ck: Checker, table: str, value: Any) -> CompiledPattern | None:
    text = ck.string(table, "pattern", value)
    if text is None:
        return None
    if len(text) > MAX_PATTERN:
        ck.add(table, "pattern", f"longer than {MAX_PATTERN} characters")
        return None
    try:
        re.compile(text)
    except (re.error, RecursionError, OverflowError) as e:
        ck.add(table, "pattern", f"malformed regular expression: {e}")
        return None
    unsafe = unsafe_reason(text)
    if unsafe is not None:
        ck.add(table, "pattern", f"unsafe regular expression: {unsafe}")
        return None
    return compile_pattern(text)


def _enabled(ck: Checker, table: str, raw: dict[str, Any]) -> bool:
    v = ck.boolean(table, "enabled", raw.get("enabled"))
    return True if v is None else v


def _duplicate(ck: Checker, value: Any) -> DuplicateScreen | None:
    raw = ck.table("screening.duplicate", "", value)
    if raw is None:
        return None
    t = "screening.duplicate"
    ck.keys(t, raw, _DUP_KEYS)
    sim = ck.number(
        t, "similarity", raw.get("similarity"), minimum=0, maximum=1, exclusive_minimum=True
    )
    same = ck.boolean(t, "same_order", raw.get("same_order"))
    d = DuplicateScreen()
    return replace(
        d,
        enabled=_enabled(ck, t, raw),
        similarity=d.similarity if sim is None else sim,
        same_order=d.same_order if same is None else same,
    )


def _fields(ck: Checker, table: str, key: str, value: Any) -> tuple[str, ...]:
    items = ck.strings(table, key, value) or ()
    for j, f in enumerate(items):
        if f not in COMPLAINT_FIELDS:
            ck.add(
                table, f"{key}[{j}]", f"unknown field {f!r}; one of {', '.join(COMPLAINT_FIELDS)}"
            )
    return items


def _incomplete(ck: Checker, value: Any, known: frozenset[str]) -> IncompleteScreen | None:
    raw = ck.table("screening.incomplete", "", value)
    if raw is None:
        return None
    t = "screening.incomplete"
    ck.keys(t, raw, _INC_KEYS)
    default = _fields(ck, t, "default", raw.get("default"))
    required: dict[str, tuple[str, ...]] = {}
    req = ck.table(t, "required", raw.get("required"))
    if req is not None:
        for cid, fields in req.items():
            if cid not in known:
                ck.add(f"{t}.required", cid, _unknown_category(cid, known))
            required[cid] = _fields(ck, f"{t}.required", cid, fields)
    return IncompleteScreen(enabled=_enabled(ck, t, raw), default=default, required=required)


def _malicious(ck: Checker, value: Any) -> MaliciousScreen | None:
    raw = ck.table("screening.malicious", "", value)
    if raw is None:
        return None
    t = "screening.malicious"
    ck.keys(t, raw, _MAL_KEYS)
    limit = ck.number(t, "limit", raw.get("limit"), minimum=1, integer=True)
    window = ck.number(
        t, "window_hours", raw.get("window_hours"), minimum=0, exclusive_minimum=True
    )
    d = MaliciousScreen()
    return MaliciousScreen(
        enabled=_enabled(ck, t, raw),
        limit=d.limit if limit is None else int(limit),
        window_hours=d.window_hours if window is None else window,
    )


_DEFAULT_FILES: Final = ("classification_en.toml", "classification_zh.toml", "screening.toml")


@cache
def _default() -> RuleSet:
    base = resources.files("complaintflow.rules").joinpath("data")
    sets = [
        RuleSet.loads(
            base.joinpath(name).read_text(encoding="utf-8"),
            source=f"complaintflow/rules/data/{name}",
        )
        for name in _DEFAULT_FILES
    ]
    out = RuleSet.merged(sets, name="default")
    out._optional = frozenset(r.id for r in out.rules)
    out.model = TextModel.default()
    return out


def check_file(path: str | Path, categories: Iterable[str] | None = None) -> list[str]:
    """The problems of a rule file as lines (empty when it is valid)."""
    try:
        RuleSet.load(path, categories=categories)
    except RuleFileError as e:
        return [str(p) for p in e.problems]
    return []
