"""``complaintflow explain`` and ``complaintflow whatif``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import complaintflow as cf
from complaintflow.cli import main
from complaintflow.testing import FakeClock
from flow_helpers import COMPLAINANT, HANDLER, cmd, new_complaint

SH = ZoneInfo("Asia/Shanghai")


def _store(path: Path) -> str:
    t0 = datetime(2026, 3, 9, 10, tzinfo=SH)
    clock = FakeClock(t0)
    engine = cf.Engine(
        calendar=cf.BusinessCalendar.preset("CN"),
        store=cf.stores.SQLiteStore(path),
        clock=clock,
        load_entry_points=False,
    )
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    clock.set(t0 + timedelta(hours=30))
    engine.handle(c.id, cmd("acknowledge", HANDLER))
    engine.close()
    return c.id


def test_explain_from_a_store_and_from_an_event_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = _store(tmp_path / "cf.db")
    store = ["--store", "sqlite", str(tmp_path / "cf.db")]
    now = ["--now", "2026-03-12T00:00+08:00"]
    assert main(["explain", cid, "preliminary_verification", *store, *now, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    # acknowledged 30 hours after receipt: 24 hours allowed, breached
    assert "guide §3.3.1" in out
    assert "State (as of 2026-03-12 00:00:00+08:00): breached" in out
    assert main(["explain", cid, "preliminary_verification", *store, *now, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["met"] is False
    events = cf.stores.SQLiteStore(tmp_path / "cf.db").events(cid)
    file = tmp_path / "events.json"
    file.write_text(json.dumps([e.model_dump(mode="json") for e in events]), encoding="utf-8")
    assert main(["explain", cid, "preliminary_verification", "--events", str(file), *now]) == 0
    assert "超时" in capsys.readouterr().out
    assert main(["explain", cid, "nope", *store]) == 1
    assert "target" in capsys.readouterr().err
    assert main(["explain", cid, "verification", *store, "--now", "tomorrow"]) == 1


def test_whatif_with_a_draft_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _store(tmp_path / "cf.db")
    guide = resources.files("complaintflow.sla").joinpath("packs", "guide.toml").read_text("utf-8")
    draft = tmp_path / "draft.toml"
    draft.write_text(
        guide.replace('name = "guide"', 'name = "draft"').replace(
            "duration = { hours = 24 }", "duration = { hours = 36 }", 1
        ),
        encoding="utf-8",
    )
    store = ["--store", "sqlite", str(tmp_path / "cf.db")]
    before = (tmp_path / "cf.db").read_bytes()
    args = ["whatif", "--policy", str(draft), *store, "--now", "2026-03-12T00:00+08:00"]
    assert main([*args, "--json"]) == 0
    sim = json.loads(capsys.readouterr().out)
    # 36 hours allowed: the acknowledgement at 30 hours is now in time
    assert sim["before"]["preliminary_verification"]["breached"] == 1
    assert sim["after"]["preliminary_verification"]["met"] == 1
    assert main(args) == 0
    assert "1 outcomes change" in capsys.readouterr().out
    assert (tmp_path / "cf.db").read_bytes() == before
    assert main(["whatif", "--store", "csv", "x"]) == 1
