"""The triage queue from the store's index and the complaint analysis
(guide §1.2.2–1.2.3), checked against counts recomputed here by brute
force over the complaints the tests stored."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._analysis import analyse, spikes, terms
from complaintflow.cli import main
from complaintflow.stores import MemoryStore, SQLiteStore
from complaintflow.stores._sql import SCHEMA_VERSION
from complaintflow.stores._sqlite import SQLITE

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
CATEGORIES = ("service", "goods", "after_sales", None)
CHANNELS = ("web", "app", "phone")
OUTCOMES = (None, "upheld", "partially_upheld", "not_upheld")


def make(
    i: int,
    at: datetime,
    *,
    category: str | None = "goods",
    channel: str = "web",
    respondent: str | None = "m-1",
    complainant: str = "u-1",
    outcome: str | None = None,
    text: str = "parcel never arrived",
    triage: bool = False,
) -> cf.Complaint:
    decision = None
    if outcome is not None:
        decision = cf.Decision(
            outcome=outcome,  # type: ignore[arg-type]
            basis="the order record",
            decided_at=at,
            effective_at=at,
            decided_by="h-1",
        )
    klass = None
    if triage:
        klass = cf.Classification(
            category=None, candidates=(("goods", 0.5), ("service", 0.5)), needs_triage=True
        )
    return cf.Complaint(
        id=f"c-{i:05d}",
        channel=channel,
        category=category,
        complainant=cf.Party(id=complainant),
        respondent=None if respondent is None else cf.Party(id=respondent),
        subject=text,
        description="",
        evidence=(),
        order_id=None,
        received_at=at,
        status=cf.Status.closed if outcome else cf.Status.received,
        version=1,
        updated_at=at,
        decision=decision,
        classification=klass,
    )


PG_DSN = os.environ.get("COMPLAINTFLOW_TEST_POSTGRES_DSN")
PG_SKIP = "COMPLAINTFLOW_TEST_POSTGRES_DSN is not set: PostgreSQL store tests skipped"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    import psycopg

    schema = f"cf_test_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


def open_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> cf.Store:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "a.db")
    from complaintflow.stores import PostgresStore

    schema = request.getfixturevalue("pg_schema")
    return PostgresStore(PG_DSN or "", schema=schema)


def put(store: cf.Store, complaints: list[cf.Complaint]) -> None:
    for c in complaints:
        store.save(c, expected_version=0, events=[])


# -- the triage queue from the index ---------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_find_needs_triage_follows_the_classification(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = open_store(kind, tmp_path, request)
    rows = [
        make(i, MONDAY + timedelta(hours=i), category=None, triage=i % 3 == 0) for i in range(9)
    ]
    put(store, rows)
    engine = cf.Engine(store=store, load_entry_points=False)
    expected = [c.id for c in rows if c.classification is not None]  # brute force
    assert [c.id for c in engine.find(needs_triage=True)] == expected
    assert [c.id for c in cf.triage_queue(store)] == expected
    others = [c.id for c in rows if c.classification is None]
    assert [c.id for c in engine.find(needs_triage=False, limit=50)] == others
    # a handler gives the first one a category: it leaves the queue
    first = rows[0].model_copy(update={"category": "goods", "version": 2})
    store.save(first, expected_version=1, events=[])
    assert [c.id for c in engine.find(needs_triage=True)] == expected[1:]
    assert [c.id for c in engine.find(needs_triage=True, limit=1, offset=1)] == expected[2:3]
    store.close()


def test_the_async_postgres_store_indexes_triage_too(pg_schema: str) -> None:
    from complaintflow.aio import AsyncPostgresStore

    rows = [
        make(i, MONDAY + timedelta(hours=i), category=None, triage=i % 2 == 0) for i in range(4)
    ]

    async def go() -> tuple[list[str], list[str]]:
        store = await AsyncPostgresStore.open(PG_DSN or "", schema=pg_schema)
        try:
            for c in rows:
                await store.save(c, expected_version=0, events=[])
            first = rows[0].model_copy(update={"category": "goods", "version": 2})
            await store.save(first, expected_version=1, events=[])
            yes = await store.find(needs_triage=True)
            no = await store.find(needs_triage=False)
        finally:
            await store.close()
        return [c.id for c in yes], [c.id for c in no]

    yes, no = asyncio.run(go())
    assert yes == [rows[2].id]
    assert no == [rows[0].id, rows[1].id, rows[3].id]


def test_engine_find_refuses_what_is_not_a_filter() -> None:
    engine = cf.Engine(load_entry_points=False)
    with pytest.raises(cf.InvalidInput, match="colour: not a filter"):
        engine.find(colour="red")
    with pytest.raises(cf.InvalidInput, match="limit"):
        engine.find(limit=0)
    with pytest.raises(cf.InvalidInput, match="offset"):
        engine.find(offset=-1)


def test_an_old_database_gets_its_triage_column_filled(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    waiting = make(1, MONDAY, category=None, triage=True)
    plain = make(2, MONDAY + timedelta(hours=1))
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (3)")
    for statements in SQLITE.migrations[:3]:
        for s in statements:
            conn.execute(s)
    for c in (waiting, plain):
        conn.execute(
            "INSERT INTO complaints (id, version, status, is_open, complainant, respondent, "
            "category, handler, received_at, next_check, doc) "
            "VALUES (?, 1, 'received', 1, 'u-1', 'm-1', ?, NULL, ?, NULL, ?)",
            (c.id, c.category, c.received_at.timestamp(), c.model_dump_json()),
        )
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [c.id for c in store.find(needs_triage=True)] == [waiting.id]
        assert [c.id for c in store.find(needs_triage=False)] == [plain.id]


# -- the analysis against brute force ------------------------------------------------


def week_of(at: datetime) -> int:
    return (at.date() - MONDAY.date()).days // 7


def brute(rows: list[cf.Complaint], since: datetime, until: datetime) -> dict[str, Any]:
    inside = [c for c in rows if since <= c.received_at < until]
    cat: Counter[tuple[str, int]] = Counter()
    chan: Counter[tuple[str, int]] = Counter()
    upheld: Counter[str] = Counter()
    people: Counter[str] = Counter()
    for c in inside:
        cat[(c.category or "(none)", week_of(c.received_at))] += 1
        chan[(c.channel, week_of(c.received_at))] += 1
        people[c.complainant.id] += 1
        if (
            c.respondent
            and c.decision
            and c.decision.outcome
            in (
                "upheld",
                "partially_upheld",
            )
        ):
            upheld[c.respondent.id] += 1
    return {"n": len(inside), "cat": cat, "chan": chan, "upheld": upheld, "people": people}


def check(result: cf.Analysis, rows: list[cf.Complaint], since: datetime, until: datetime) -> None:
    b = brute(rows, since, until)
    assert result.total == b["n"]
    got_cat = Counter(
        {(k, i): n for k, s in result.by_category.items() for i, n in enumerate(s) if n}
    )
    assert got_cat == b["cat"]
    got_chan = Counter(
        {(k, i): n for k, s in result.by_channel.items() for i, n in enumerate(s) if n}
    )
    assert got_chan == b["chan"]
    top = sorted(b["upheld"].items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(r.respondent, r.upheld) for r in result.respondents] == top
    for r in result.respondents:
        assert sum(r.weekly_upheld) == r.upheld
    repeats = sorted(
        ((w, n) for w, n in b["people"].items() if n >= 2), key=lambda x: (-x[1], x[0])
    )
    assert list(result.repeat_complainants) == repeats[:10]


def generated(seed: int, n: int) -> list[cf.Complaint]:
    rnd = random.Random(seed)
    return [
        make(
            i,
            MONDAY + timedelta(minutes=rnd.randrange(12 * 7 * 24 * 60)),
            category=rnd.choice(CATEGORIES),
            channel=rnd.choice(CHANNELS),
            respondent=rnd.choice(("m-1", "m-2", "m-3", None)),
            complainant=f"u-{rnd.randrange(n // 3 + 1)}",
            outcome=rnd.choice(OUTCOMES),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_analysis_matches_a_brute_force_count(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = open_store(kind, tmp_path, request)
    rows = generated(7, 300)
    put(store, rows)
    since, until = MONDAY + timedelta(days=3), MONDAY + timedelta(weeks=11, hours=5)
    result = analyse(store, since, until, page=17)
    check(result, rows, since, until)
    assert result.weeks[0] == date(2026, 1, 5)
    assert len(result.weeks) == 12  # 5 Jan to the week of 23 Mar
    engine = cf.Engine(store=store, load_entry_points=False)
    assert engine.analysis(since, until) == result


@given(
    st.lists(
        st.tuples(
            st.integers(0, 6 * 7 * 24),
            st.sampled_from(CATEGORIES),
            st.sampled_from(CHANNELS),
            st.sampled_from(("m-1", "m-2", None)),
            st.integers(0, 5),
            st.sampled_from(OUTCOMES),
        ),
        max_size=40,
    ),
    st.integers(0, 3 * 7 * 24),
    st.integers(1, 6 * 7 * 24),
)
def test_analysis_matches_brute_force_on_any_complaints(
    spec: list[tuple[int, str | None, str, str | None, int, str | None]], start: int, span: int
) -> None:
    rows = [
        make(
            i,
            MONDAY + timedelta(hours=h),
            category=cat,
            channel=ch,
            respondent=r,
            complainant=f"u-{who}",
            outcome=o,
        )
        for i, (h, cat, ch, r, who, o) in enumerate(spec)
    ]
    store = MemoryStore()
    put(store, rows)
    since = MONDAY + timedelta(hours=start)
    until = since + timedelta(hours=span)
    result = analyse(store, since, until, page=3)
    # weeks are counted from the Monday of since: shift the oracle's weeks
    shift = week_of(since)
    b = brute(rows, since, until)
    assert result.total == b["n"]
    got = Counter(
        {(k, i + shift): n for k, s in result.by_category.items() for i, n in enumerate(s) if n}
    )
    assert got == b["cat"]


def test_a_planted_spike_is_found_and_terms_are_counted() -> None:
    rows: list[cf.Complaint] = []
    # goods: 1 or 2 a week for eight weeks, then 12 in week 8
    for week, n in enumerate([1, 2, 1, 2, 1, 2, 1, 2, 12, 2]):
        for k in range(n):
            at = MONDAY + timedelta(weeks=week, hours=k)
            text = "退款没有到账 refund missing" if week == 8 else "parcel late"
            rows.append(make(len(rows), at, respondent="m-9", text=text))
    store = MemoryStore()
    put(store, rows)
    result = analyse(store, MONDAY, MONDAY + timedelta(weeks=10), spike_min=5)
    # by hand: weeks 0-7 have mean 1.5 and sd 0.5, so 12 > 1.5 + 3 * 0.5
    found = [(s.kind, s.key, s.week, s.count, s.mean, s.sd) for s in result.spikes]
    week8 = date(2026, 3, 2)
    assert found == [
        ("category", "goods", week8, 12, 1.5, 0.5),
        ("respondent", "m-9", week8, 12, 1.5, 0.5),
    ]
    # 12 complaints say "parcel late" once each in weeks 0-7 and 9 (12 + 2 = 14)
    top = dict(result.terms["goods"])
    assert top["parcel"] == 14
    assert top["late"] == 14
    assert top["refund"] == 12
    assert top["退款"] == 12
    assert "没有" not in top  # a stop word
    # a higher minimum hides it
    assert analyse(store, MONDAY, MONDAY + timedelta(weeks=10), spike_min=13).spikes == ()


def test_the_spike_rule_by_hand() -> None:
    assert spikes([0] * 8 + [5], minimum=5) == [(8, 0.0, 0.0)]
    assert spikes([0] * 8 + [4], minimum=5) == []
    assert spikes([0] * 7 + [5], minimum=1) == []  # fewer than eight weeks before it
    # mean 2, sd 2 (population): 2 + 3 * 2 = 8 is not above 8; 9 is
    assert spikes([0, 4] * 4 + [8], minimum=1) == []
    assert spikes([0, 4] * 4 + [9], minimum=1) == [(8, 2.0, 2.0)]


def test_terms_by_hand() -> None:
    assert terms("ＲＥＦＵＮＤ the Refunds, ok") == ["refund", "refunds"]
    assert terms("快递丢了") == ["快递", "递丢", "丢了"]


def test_outputs_json_csv_and_svg() -> None:
    rows = generated(3, 60)
    store = MemoryStore()
    put(store, rows)
    result = analyse(store, MONDAY, MONDAY + timedelta(weeks=12))
    data = json.loads(result.to_json())
    assert data["total"] == 60
    assert data["weeks"][0] == "2026-01-05"
    table = list(csv.DictReader(io.StringIO(result.to_csv())))
    per_category = sum(int(r["value"]) for r in table if r["section"] == "category")
    assert per_category == 60
    svg = result.svg()
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert svg.count("<polyline") == len(result.by_category)


def test_csv_cells_a_spreadsheet_would_run_are_quoted() -> None:
    """Respondent ids and complainant ids come from the host, terms from the
    complaints: a cell starting like a formula is written as text."""
    evil = '=HYPERLINK("http://x.example","y")'
    rows = [
        make(
            i,
            MONDAY + timedelta(days=1),
            respondent=evil,
            complainant="@SUM(1+1)",
            outcome="upheld",
        )
        for i in range(4)
    ]
    store = MemoryStore()
    put(store, rows)
    result = analyse(store, MONDAY, MONDAY + timedelta(weeks=2))
    table = list(csv.DictReader(io.StringIO(result.to_csv())))
    keys = {r["key"] for r in table if r["section"].startswith(("respondent", "repeat"))}
    assert keys == {"'" + evil, "'@SUM(1+1)"}
    texts = [r[k] for r in table for k in ("section", "key", "week")]
    assert not any(v.startswith(("=", "+", "-", "@")) for v in texts)
    upheld = [r for r in table if r["section"] == "respondent_upheld"]
    assert [float(r["value"]) for r in upheld] == [4]  # numbers stay numbers


def test_csv_cells() -> None:
    from complaintflow._csv import write

    text = write(
        ["a", "b"], [["=1+2", -3], ["+x", None], ["-y", "ok"], ["\tz", 1.5], ["@w", "a=b"]]
    )
    assert text.splitlines() == [
        "a,b",
        "'=1+2,-3",
        "'+x,",
        "'-y,ok",
        "'\tz,1.5",
        "'@w,a=b",
    ]


def test_bad_input_is_refused() -> None:
    store = MemoryStore()
    with pytest.raises(cf.InvalidInput, match="since"):
        analyse(store, datetime(2026, 1, 1), MONDAY)
    with pytest.raises(cf.InvalidInput, match="until: must be after since"):
        analyse(store, MONDAY, MONDAY)
    for name in ("top", "spike_min", "page"):
        with pytest.raises(cf.InvalidInput, match=name):
            analyse(store, MONDAY, MONDAY + timedelta(days=1), **{name: 0})


def test_report_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cf.db"
    rows = generated(5, 80)
    with SQLiteStore(db) as store:
        put(store, rows)
    since, until = MONDAY.isoformat(), (MONDAY + timedelta(weeks=12)).isoformat()
    out, chart = tmp_path / "r.csv", tmp_path / "r.svg"
    args = ["report", "--db", str(db), "--since", since, "--until", until]
    assert main([*args, "--format", "csv", "-o", str(out), "--chart", str(chart)]) == 0
    table = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sum(int(r["value"]) for r in table if r["section"] == "channel") == 80
    assert chart.read_text(encoding="utf-8").startswith("<svg")
    assert "80 complaint(s), 12 week(s)" in capsys.readouterr().err
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 80
    assert (
        main(["report", "--db", str(tmp_path / "no.db"), "--since", since, "--until", until]) == 1
    )
    assert "no such file" in capsys.readouterr().err
    assert main(["report", "--db", str(db), "--since", "yesterday", "--until", until]) == 1
    assert "--since: not an ISO 8601 time" in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "missing" / "r.json")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_repeat_complainants_past_the_candidate_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    import complaintflow._analysis as analysis

    monkeypatch.setattr(analysis, "CANDIDATES", 3)
    # u-heavy: 6 of 16 complaints, more than 16 / (3 + 1): certainly a candidate
    who = ["u-heavy", "u-a", "u-heavy", "u-b", "u-c", "u-heavy", "u-d", "u-e"] * 2
    rows = [make(i, MONDAY + timedelta(hours=i), complainant=w) for i, w in enumerate(who)]
    store = MemoryStore()
    put(store, rows)
    result = analyse(store, MONDAY, MONDAY + timedelta(weeks=1))
    counted = Counter(who)  # brute force
    assert result.repeat_complainants[0] == ("u-heavy", counted["u-heavy"])
    for w, n in result.repeat_complainants:
        assert n == counted[w]
