"""The learned fallback of classification (guide §2.3): naive Bayes over
character and word n-grams after the rules, its confidence, triage below
the threshold, retraining on a host's labelled file, the triage queue and
handlers' classifications exported as labelled data.

Expected values come from hand calculation (naive Bayes on a two-word
corpus), from symmetry (two categories with mirrored evidence are equally
likely) or from the labels of the frozen held-out set."""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.cli import main
from complaintflow.rules import (
    labelled_examples,
    read_labelled,
    train,
    triage_queue,
    write_labelled,
)
from complaintflow.rules._model import features
from complaintflow.stores import SQLiteStore

DATA = Path(__file__).resolve().parent.parent / "data"
T0 = datetime(2026, 3, 9, 9, tzinfo=UTC)
U = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
SYSTEM = cf.Actor.system()
CATEGORIES = {"service", "goods", "after_sales", "transaction_dispute", "violation"}


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def complaint(subject: str, description: str = "") -> cf.Complaint:
    return cf.Complaint(
        id="c-1",
        channel="web",
        category=None,
        complainant=cf.Party(id="u-1"),
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


def new(subject: str, description: str = "") -> cf.NewComplaint:
    return cf.NewComplaint(
        channel="app", complainant=cf.Party(id="u-1"), subject=subject, description=description
    )


def mirrored() -> cf.TextModel:
    """goods and service with mirrored evidence: 'apple' for one, 'pear'
    for the other, no cross-validation (temperature 1)."""
    return train([("goods", "apple"), ("service", "pear")], min_df=1, alpha=1.0, folds=0)


def assert_explained(result: cf.rules.ClassificationResult, triage: float) -> None:
    """What every result must carry: what decided it, how sure, and why."""
    assert result.source in {"rules", "model"}
    assert result.confidence is not None
    assert 0.0 <= result.confidence <= 1.0
    assert result.explain()
    if result.category is None:
        assert result.needs_triage
        assert result.candidates
        assert result.confidence < triage or not result.features
    elif result.source == "rules":
        assert result.rules
        assert result.confidence == 1.0
        assert all(m.category == result.category for m in result.matches[: len(result.rules)])
    else:
        assert not result.needs_triage
        assert result.features, "a model decision names the features behind it"
        assert all(w > 0 for _, w in result.features)
        assert result.candidates[0] == (result.category, result.confidence)
        assert result.confidence >= triage
    probs = [p for _, p in result.candidates]
    assert probs == sorted(probs, reverse=True)
    k = result.to_classification()
    assert (k.category, k.source, k.needs_triage) == (
        result.category,
        result.source,
        result.needs_triage,
    )


# -- the frozen held-out set -------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_held_out_accuracy_is_at_least_90_percent_with_at_most_5_percent_unclassified(
    lang: str,
) -> None:
    rules = cf.RuleSet.default()
    held = rows(f"heldout_v2_{lang}.tsv")
    assert len(held) >= 120
    per = {c: sum(r["category"] == c for r in held) for c in CATEGORIES}
    assert min(per.values()) == max(per.values())  # balanced
    right = unclassified = 0
    for r in held:
        result = rules.classify(complaint(r["subject"], r["description"]))
        assert_explained(result, rules.triage_threshold)
        right += result.category == r["category"]
        unclassified += result.category is None
    assert right / len(held) >= 0.90
    assert unclassified / len(held) <= 0.05


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_training_corpus_has_600_varied_complaints(lang: str) -> None:
    train_rows = rows(f"train_{lang}.tsv")
    assert len(train_rows) >= 600
    assert {r["category"] for r in train_rows} == CATEGORIES
    held = {r["description"] for r in rows(f"heldout_v2_{lang}.tsv")}
    assert not held & {r["description"] for r in train_rows}


def test_every_classification_of_the_training_corpus_carries_its_explanation() -> None:
    rules = cf.RuleSet.default()
    sources = set()
    for name in ("train_en.tsv", "train_zh.tsv"):
        for r in rows(name)[::5]:
            result = rules.classify(complaint(r["subject"], r["description"]))
            assert_explained(result, rules.triage_threshold)
            sources.add(result.source)
    assert sources == {"rules", "model"}


@given(st.text(max_size=200), st.text(max_size=200))
def test_any_text_gets_an_explained_result(subject: str, description: str) -> None:
    rules = cf.RuleSet.default()
    result = rules.classify(complaint(subject, description))
    assert_explained(result, rules.triage_threshold)
    assert result.category is None or result.category in CATEGORIES


# -- the model by hand -----------------------------------------------------------


def test_naive_bayes_probability_by_hand() -> None:
    m = mirrored()
    # counts: apple [1, 0], pear [0, 1]; alpha 1, 2 features, 1 token per
    # category: P(apple|goods) = (1 + 1) / (1 + 1 * 2) = 2/3 and
    # P(apple|service) = (0 + 1) / 3 = 1/3; equal priors, so
    # P(goods|apple) = (2/3) / (2/3 + 1/3) = 2/3
    p = m.predict("apple")
    assert p is not None
    assert p.category == "goods"
    assert p.confidence == pytest.approx(2 / 3)
    assert p.features == (("apple", pytest.approx(math.log(2), abs=1e-3)),)  # ln((2/3) / (1/3))
    # two apples count once (features are binary): still 2/3
    twice = m.predict("Apple apple")
    assert twice is not None
    assert twice.confidence == pytest.approx(2 / 3)
    # nothing known: the priors, equal here, and no feature to decide on
    unknown = m.predict("banana")
    assert unknown is not None
    assert unknown.probabilities == (("goods", 0.5), ("service", 0.5))
    assert unknown.features == ()
    assert m.predict("apple", allowed=["violation"]) is None
    r = cf.RuleSet(model=m, triage_threshold=0.1).classify(complaint("banana"))
    assert (r.category, r.needs_triage) == (None, True)


def test_features_are_character_and_word_n_grams() -> None:
    assert features("退款") == ["退", "款", "退款"]
    assert features("Refunds delayed") == ["refund", "delay", "refund delay"]
    assert features("客服 ignored me 三次") == [
        "客",
        "服",
        "客服",
        "三",
        "次",
        "三次",
        "ignor",
        "me",
        "ignor me",
    ]


def test_low_confidence_leads_to_triage_with_the_top_two() -> None:
    # mirrored evidence: by symmetry each category has probability 1/2,
    # below a threshold of 0.6
    rules = cf.RuleSet().with_model(mirrored(), triage_threshold=0.6)
    r = rules.classify(complaint("apple and pear"))
    assert (r.category, r.needs_triage, r.source) == (None, True, "model")
    assert [c for c, _ in r.candidates] == ["goods", "service"]  # a tie: by name
    assert [p for _, p in r.candidates] == pytest.approx([0.5, 0.5])
    assert "needs triage" in r.explain()
    k = r.to_classification()
    assert (k.needs_triage, k.category, len(k.candidates)) == (True, None, 2)
    # 2/3 for 'apple' alone clears 0.6 ...
    r = rules.classify(complaint("apple"))
    assert (r.category, r.needs_triage) == ("goods", False)
    # ... but not a threshold of 0.7 set in a rule file
    strict = cf.RuleSet.loads("[ruleset]\ntriage_threshold = 0.7\n").with_model(mirrored())
    assert strict.triage_threshold == 0.7
    r = strict.classify(complaint("apple"))
    assert (r.category, r.needs_triage) == (None, True)
    assert r.confidence == pytest.approx(2 / 3)


def test_without_a_model_an_undecided_result_needs_triage_with_rule_shares() -> None:
    rules = cf.RuleSet.loads(
        '[[rules]]\nid = "a"\ncategory = "goods"\nweight = 1\nany = ["broken"]\n'
        '[[rules]]\nid = "b"\ncategory = "service"\nweight = 3\nany = ["rude"]\n'
        "[ruleset]\nthreshold = 5\n"
    )
    r = rules.classify(complaint("rude and broken"))
    assert (r.category, r.needs_triage) == (None, True)
    assert r.candidates == (("service", 0.75), ("goods", 0.25))  # 3/4 and 1/4
    r = rules.classify(complaint("nothing"))
    assert (r.needs_triage, r.candidates) == (True, ())


def test_rules_decide_first_when_clear() -> None:
    rules = cf.RuleSet.loads(
        '[[rules]]\nid = "pear-rule"\ncategory = "goods"\nweight = 2\nany = ["pear"]\n'
    ).with_model(mirrored())
    # the model would say service for 'pear'; the rule decides clearly
    r = rules.classify(complaint("pear"))
    assert (r.category, r.source, r.rules, r.confidence) == ("goods", "rules", ("pear-rule",), 1.0)


def test_a_checked_rule_set_lets_the_model_choose_only_registered_categories() -> None:
    rules = cf.RuleSet.default().checked(["goods", "service"])
    r = rules.classify(complaint("这家店卖假货，盗用我们的商标，侵犯知识产权"))
    assert {c for c, _ in r.candidates} <= {"goods", "service"}
    assert r.category in {"goods", "service", None}


# -- retraining ------------------------------------------------------------------


def write_tsv(path: Path, data: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["category", "subject", "description"])
        w.writerows(data)
    return path


def test_retraining_on_a_small_labelled_file_changes_predictions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the shipped model reads a late delivery as a transaction dispute
    text = "The parcel with my order arrived two weeks late"
    before = cf.RuleSet().with_model(cf.TextModel.default()).classify(complaint(text))
    assert before.category == "transaction_dispute"
    # a host files late deliveries under service, and counterfeit goods under
    # violation; train on its file with the CLI
    host = write_tsv(
        tmp_path / "host.tsv",
        [
            ("service", "Parcel late", "my parcel arrived late"),
            ("service", "Order late", "the order arrived a week late"),
            ("service", "Late again", "late delivery of my order again"),
            ("violation", "Fake", "counterfeit handbag sold as genuine"),
            ("violation", "Fake shoes", "the shoes are counterfeit"),
            ("violation", "Knockoff", "a knockoff sold as genuine"),
        ],
    )
    out = tmp_path / "model.json"
    assert main(["rules", "train", str(host), "-o", str(out)]) == 0
    assert "6 examples" in capsys.readouterr().out
    model = cf.TextModel.load(out)
    assert set(model.categories) == {"service", "violation"}
    hosted = cf.RuleSet().with_model(model, triage_threshold=0.6)
    after = hosted.classify(complaint(text))
    assert (after.category, after.source) == ("service", "model")
    assert {"late", "parcel", "order"} & {f for f, _ in after.features}
    assert hosted.classify(complaint("counterfeit bag")).category == "violation"
    # relabelling the same texts swaps the predictions
    swapped = write_tsv(
        tmp_path / "swapped.tsv",
        [("violation" if c == "service" else "service", s, d) for c, s, d in _tsv(host)],
    )
    assert main(["rules", "train", str(swapped), "-o", str(out)]) == 0
    hosted = cf.RuleSet().with_model(cf.TextModel.load(out), triage_threshold=0.6)
    assert hosted.classify(complaint(text)).category == "violation"


def _tsv(path: Path) -> list[tuple[str, str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            (r["category"], r["subject"], r["description"])
            for r in csv.DictReader(f, delimiter="\t")
        ]


def test_an_engine_uses_a_host_model_passed_as_a_rule_set() -> None:
    engine = cf.Engine(plugins=[cf.RuleSet(model=mirrored())], load_entry_points=False)
    assert engine.rules.model is not None
    assert engine.rules.model.categories == ("goods", "service")
    c = engine.submit(new("apple"), actor=U)
    assert c.classification is not None
    assert (c.category, c.classification.source) == ("goods", "model")
    assert c.classification.confidence == pytest.approx(2 / 3, abs=1e-4)
    assert c.classification.features == ("apple",)


def test_a_model_file_round_trips_and_bad_ones_name_the_key(tmp_path: Path) -> None:
    m = mirrored()
    path = tmp_path / "m.json"
    m.save(path)
    again = cf.TextModel.load(path)
    assert again.to_data() == m.to_data()
    data = m.to_data()
    for key, value, reason in [
        ("format", "other/1", "format: must be"),
        ("categories", ["goods"], "categories: must be"),
        ("priors", [1], "priors: must be 2 counts"),
        ("alpha", -1, "alpha: must be a positive number"),
        ("temperature", True, "temperature: must be a positive number"),
        ("counts", {}, "counts: must be a non-empty"),
        ("counts", {"apple": [1, -1]}, r"counts\['apple'\]: must be 2 counts"),
        ("info", [], "info: must be an object"),
    ]:
        with pytest.raises(cf.ModelError, match=reason):
            cf.TextModel.from_data({**data, key: value}, source="m.json")
    with pytest.raises(cf.ModelError, match=r"m\.json: : must be a JSON object"):
        cf.TextModel.from_data([], source="m.json")
    with pytest.raises(cf.ModelError, match="not valid JSON"):
        cf.TextModel.loads("{", source="x")
    with pytest.raises(cf.ModelError, match="cannot read the file"):
        cf.TextModel.load(tmp_path / "missing.json")
    assert isinstance(cf.ModelError("x"), cf.ComplaintFlowError)


def test_training_input_errors_name_the_line_or_field(tmp_path: Path) -> None:
    with pytest.raises(cf.ModelError, match="line 1: the header must name"):
        read_labelled(write_text(tmp_path / "a.tsv", "label\ttext\nx\ty\n"))
    with pytest.raises(cf.ModelError, match="line 3: category: empty"):
        read_labelled(write_text(tmp_path / "b.tsv", "category\tdescription\ngoods\tx\n\ty\n"))
    with pytest.raises(cf.ModelError, match="line 2: description: empty"):
        read_labelled(write_text(tmp_path / "c.tsv", "category\tdescription\ngoods\t\n"))
    with pytest.raises(cf.ModelError, match="cannot read the file"):
        read_labelled(tmp_path / "missing.tsv")
    with pytest.raises(cf.ModelError, match="at least two categories"):
        train([("goods", "a"), ("goods", "b")])
    with pytest.raises(cf.ModelError, match="none for service"):
        train([("goods", "a")], categories=["goods", "service"])
    with pytest.raises(cf.ModelError, match="category: violation not among"):
        train([("goods", "a"), ("violation", "b")], categories=["goods", "service"])
    with pytest.raises(cf.ModelError, match="out of range"):
        train([("goods", "a"), ("service", "b")], alpha=0)


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_model_settings_on_a_rule_set() -> None:
    with pytest.raises(cf.RuleFileError, match="triage_threshold: must be 0 to 1"):
        cf.RuleSet(triage_threshold=1.5)
    with pytest.raises(cf.RuleFileError, match="model: must be a TextModel"):
        cf.RuleSet(model="model.json")  # type: ignore[arg-type]
    with pytest.raises(cf.RuleFileError, match="triage_threshold: must be 0 to 1"):
        cf.RuleSet().with_model(None, triage_threshold=-0.1)
    with pytest.raises(cf.RuleFileError, match="model: must be a TextModel"):
        cf.RuleSet().with_model({"format": "x"})  # type: ignore[arg-type]
    with pytest.raises(cf.RuleFileError, match=r"\[ruleset\] triage_threshold"):
        cf.RuleSet.loads("[ruleset]\ntriage_threshold = 2\n")
    assert "TextModel" in repr(cf.RuleSet.default())


def test_cli_train_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write_text(tmp_path / "bad.tsv", "label\ttext\n")
    assert main(["rules", "train", str(bad), "-o", str(tmp_path / "m.json")]) == 1
    assert "line 1: the header must name" in capsys.readouterr().err
    good = write_tsv(tmp_path / "g.tsv", [("goods", "a", "apple"), ("service", "b", "pear")])
    assert main(["rules", "train", str(good), "-o", str(tmp_path / "no" / "m.json")]) == 1
    assert "cannot write the file" in capsys.readouterr().err


# -- the triage queue and labelled data ---------------------------------------------


def test_the_triage_queue_and_handlers_labels_for_retraining(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cf.sqlite3"
    strict = cf.RuleSet(model=mirrored(), triage_threshold=0.6)
    engine = cf.Engine(store=SQLiteStore(db), plugins=[strict], load_entry_points=False)
    unsure = engine.submit(new("apple or pear", "hard to say"), actor=U)
    sure = engine.submit(new("apple", "clearly"), actor=U)
    also = engine.submit(new("pear and apple", "again"), actor=U)
    assert [c.id for c in triage_queue(engine.store, page=1)] == [unsure.id, also.id]
    assert [c.id for c in cf.triage_queue(engine.store, limit=1)] == [unsure.id]
    assert sure.category == "goods"
    # the CLI lists the same queue with the candidates
    assert main(["rules", "triage", "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert unsure.id in out.out
    assert also.id in out.out
    assert sure.id not in out.out
    assert "goods 0.50, service 0.50" in out.out
    assert "2 complaint(s) need triage" in out.err
    # a handler decides: the complaint leaves the queue and becomes labelled data
    engine.handle(unsure.id, cf.Acknowledge(actor=SYSTEM))
    engine.handle(unsure.id, cf.Classify(actor=SYSTEM, category="service"))
    engine.handle(sure.id, cf.Acknowledge(actor=SYSTEM))
    engine.handle(sure.id, cf.Classify(actor=SYSTEM))  # confirms goods
    assert [c.id for c in triage_queue(engine.store)] == [also.id]
    examples = sorted(labelled_examples(engine.store, page=2), key=lambda e: e.subject)
    assert [(e.subject, e.category) for e in examples] == [
        ("apple", "goods"),
        ("apple or pear", "service"),
    ]
    out_tsv = tmp_path / "labelled.tsv"
    assert main(["rules", "export", "--db", str(db), "-o", str(out_tsv)]) == 0
    assert "2 labelled complaint(s)" in capsys.readouterr().out
    assert sorted(read_labelled(out_tsv)) == [
        ("goods", "apple clearly"),
        ("service", "apple or pear hard to say"),
    ]
    # and the exported file trains a model
    assert main(["rules", "train", str(out_tsv), "-o", str(tmp_path / "m.json")]) == 0


def test_triage_and_export_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = cf.MemoryStore()
    with pytest.raises(cf.InvalidInput, match="limit: must be a positive integer"):
        triage_queue(store, limit=0)
    with pytest.raises(cf.InvalidInput, match="page: must be a positive integer"):
        triage_queue(store, page=0)
    assert main(["rules", "triage", "--db", str(tmp_path / "none.sqlite3")]) == 1
    assert "--db: no such file" in capsys.readouterr().err
    assert main(["rules", "export", "--db", str(tmp_path / "none.sqlite3"), "-o", "x"]) == 1
    db = tmp_path / "cf.sqlite3"
    SQLiteStore(db)
    assert main(["rules", "triage", "--db", str(db), "--limit", "0"]) == 1
    assert "limit: must be a positive integer" in capsys.readouterr().err
    assert main(["rules", "export", "--db", str(db), "-o", str(tmp_path / "no" / "x.tsv")]) == 1
    assert "cannot write the file" in capsys.readouterr().err
    with pytest.raises(cf.ModelError, match="cannot write the file"):
        write_labelled([], tmp_path / "no" / "x.tsv")


def test_model_info_records_the_corpus() -> None:
    info: dict[str, Any] = json.loads(cf.TextModel.default().to_json())["info"]
    assert info["examples"] >= 1200
    assert info["cv_accuracy"] >= 0.9
    assert not any("heldout_v2" in name for name in info["corpus"])


def test_training_keeps_the_most_telling_features_and_cross_validates() -> None:
    examples = [
        ("goods", "broken lid common"),
        ("goods", "broken handle common"),
        ("goods", "broken box common"),
        ("goods", "broken cap common"),
        ("service", "rude agent common"),
        ("service", "rude reply common"),
        ("service", "rude tone common"),
        ("service", "rude call common"),
    ]
    m = train(examples, max_features=2, folds=2)
    # 'broken' and 'rude' split the categories perfectly (chi-square 8 each);
    # 'common' is in every example and tells nothing (chi-square 0)
    assert set(m.counts) == {"broken", "rude"}
    assert m.info["examples"] == 8
    assert 0.0 <= m.info["cv_accuracy"] <= 1.0  # 4 examples a fold: a rough figure
    assert m.temperature >= 1.0


def test_a_model_without_an_allowed_category_leaves_triage() -> None:
    rules = cf.RuleSet(model=mirrored()).checked(["violation"])
    r = rules.classify(complaint("apple"))
    assert (r.category, r.needs_triage, r.candidates) == (None, True, ())


def test_the_shipped_model_is_what_the_training_script_writes(tmp_path: Path) -> None:
    import runpy

    script = Path(__file__).resolve().parents[2] / "scripts" / "train_classifier.py"
    out = tmp_path / "model.json"
    runpy.run_path(str(script), run_name="train")["main"](["-o", str(out)])
    shipped = cf.TextModel.default()
    assert cf.TextModel.load(out).to_data() == shipped.to_data()
