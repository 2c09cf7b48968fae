"""Roles are checked against the known ones: a typo names the nearest role."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._roles import known_roles

BUILTIN = {"complainant", "respondent", "handler", "supervisor", "system", "importer"}


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("handlr", "handler"),
        ("Handler", "handler"),
        ("supervisr", "supervisor"),
        ("complainent", "complainant"),
        ("respondant", "respondent"),
    ],
)
def test_a_typo_names_the_role_and_the_nearest_known_one(typo: str, meant: str) -> None:
    with pytest.raises(cf.InvalidInput) as e:
        cf.check_roles(cf.Actor(id="a", roles={typo, "system"}))
    [error] = e.value.errors
    assert error["field"] == "actor.roles"
    assert f"unknown role {typo!r}; did you mean {meant!r}?" in error["reason"]
    assert "complaintflow_roles" in str(e.value)


def test_a_role_like_nothing_known_gets_no_suggestion_and_every_unknown_is_listed() -> None:
    with pytest.raises(cf.InvalidInput) as e:
        cf.check_roles(cf.Actor(id="a", roles={"zzz", "qqq"}), field="command.actor.roles")
    assert [x["reason"].split(" Known")[0] for x in e.value.errors] == [
        "unknown role 'qqq'.",
        "unknown role 'zzz'.",
    ]
    assert "did you mean" not in str(e.value)
    assert {x["field"] for x in e.value.errors} == {"command.actor.roles"}


@given(st.sets(st.sampled_from(sorted(BUILTIN))))
def test_known_roles_pass_unchanged(roles: set[str]) -> None:
    actor = cf.Actor(id="a", roles=roles)
    assert cf.check_roles(actor) is actor


class Auditors:
    @cf.hookimpl
    def complaintflow_roles(self) -> list[str]:
        return ["auditor", "legal"]


def test_plugins_declare_extra_roles() -> None:
    from complaintflow._plugins import make_plugin_manager

    pm = make_plugin_manager([Auditors()], load_entry_points=False)
    known = known_roles(pm.hook.complaintflow_roles())
    assert known == BUILTIN | {"auditor", "legal"}
    actor = cf.Actor(id="a", roles={"auditor"})
    assert cf.check_roles(actor, known) is actor
    with pytest.raises(cf.InvalidInput, match="did you mean 'auditor'"):
        cf.check_roles(cf.Actor(id="a", roles={"auditr"}), known)


@pytest.mark.parametrize("answer", ["auditor", 42, [""], [3]])
def test_bad_declarations_are_plugin_errors(answer: Any) -> None:
    with pytest.raises(cf.PluginError):
        known_roles([answer])


def test_not_an_actor() -> None:
    with pytest.raises(cf.InvalidInput) as e:
        cf.check_roles({"id": "a"})  # type: ignore[arg-type]
    assert e.value.errors[0]["field"] == "actor"
