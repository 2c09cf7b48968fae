"""The commands that read personal fields open an encrypted vault
(docs/privacy.md, "Encryption"): with the keys in the database by
default, with ``--keys MODULE:OBJECT`` when they are kept elsewhere, and
refuse, saying so, when they cannot find a key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import complaintflow as cf
from cli_keys import KMS
from complaintflow.cli import main
from complaintflow.stores import SQLiteStore
from complaintflow.testing import FakeClock

pytest.importorskip("cryptography")

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SYSTEM = cf.Actor.system()
WORDS = "kettle leaks scalding water"


def _written(db: Path, encryption: cf.Encryption | None) -> str:
    """One complaint, classified by a handler, in an encrypted vault."""
    store = SQLiteStore(db)
    engine = cf.Engine(
        store=store, clock=FakeClock(T0), load_entry_points=False, encryption=encryption
    )
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-1", name="Zhao Min", contact="zhao@example.cn"),
            subject="Broken",
            description=WORDS,
        ),
        actor=cf.Actor(id="u-1", roles={"complainant"}),
    )
    engine.handle(c.id, cf.Acknowledge(actor=SYSTEM))
    engine.handle(c.id, cf.Classify(actor=SYSTEM, category="goods"))
    (entry,) = [e for e in store.vault_read([c.id]) if e.party_id == "u-1"]
    assert entry.data.startswith("aesgcm1:")
    assert WORDS not in entry.data
    store.close()
    return c.id


def test_rules_export_reads_a_vault_encrypted_with_keys_in_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, out = tmp_path / "cf.db", tmp_path / "labelled.tsv"
    cid = _written(db, cf.Encryption())
    assert main(["rules", "export", "--db", str(db), "-o", str(out)]) == 0
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[1:] == [f"goods\tBroken\t{WORDS}\t{cid}"]
    assert "1 labelled complaint(s)" in capsys.readouterr().out
    assert main(["worker", "--store", str(db), "--once", "--no-entry-points", "--quiet"]) == 0


def test_keys_kept_elsewhere_are_asked_for_then_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, out = tmp_path / "cf.db", tmp_path / "labelled.tsv"
    cid = _written(db, cf.Encryption(keys=KMS))
    assert main(["rules", "export", "--db", str(db), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the vault is encrypted with keys kept outside the database" in err
    assert "--keys MODULE:OBJECT" in err
    assert "Zhao" not in err
    assert main(["rules", "export", "--db", str(db), "-o", str(out), "--keys", "cli_keys:KMS"]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[1:] == [f"goods\tBroken\t{WORDS}\t{cid}"]


def test_report_counts_the_terms_of_encrypted_descriptions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cf.db"
    _written(db, cf.Encryption(keys=KMS))
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=7)
    args = ["report", "--db", str(db), "--since", since.isoformat(), "--until", until.isoformat()]
    assert main([*args, "--keys", "cli_keys:KMS"]) == 0
    terms = dict(json.loads(capsys.readouterr().out)["terms"]["goods"])
    assert terms["scalding"] == 1  # a word of the description alone
    assert main(args) == 1
    assert "--keys" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("no_such_module_here", "keys: 'no_such_module_here': cannot import"),
        ("cli_keys:NOPE", "keys: 'cli_keys:NOPE': no attribute 'NOPE'"),
        ("cli_keys:os", "keys: 'cli_keys:os': not a KeyStore"),
    ],
)
def test_a_bad_key_store_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str, reason: str
) -> None:
    db = tmp_path / "cf.db"
    _written(db, cf.Encryption())
    assert (
        main(["rules", "export", "--db", str(db), "-o", str(tmp_path / "x"), "--keys", spec]) == 1
    )
    assert reason in capsys.readouterr().err
    assert main(["worker", "--store", str(db), "--once", "--keys", spec]) == 2
    assert reason in capsys.readouterr().err
