"""Roles checked against the known ones, so that a typo such as
``{"handlr"}`` is an error that says so, not a puzzling ``PermissionDenied``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from complaintflow.errors import InvalidInput, PluginError
from complaintflow.models import ROLES, Actor

__all__ = ["check_roles", "known_roles"]


def known_roles(answers: Iterable[Any] = ()) -> frozenset[str]:
    """The built-in roles plus those plugins declare: ``answers`` are the
    results of the ``complaintflow_roles`` hook (iterables of role names,
    or ``None``)."""
    extra: set[str] = set()
    for answer in answers:
        if answer is None:
            continue
        if isinstance(answer, str) or not isinstance(answer, Iterable):
            raise PluginError(
                "a complaintflow_roles hook must return role names (a set or list of str), "
                f"not {type(answer).__name__}"
            )
        for role in answer:
            if not isinstance(role, str) or not role:
                raise PluginError(f"a complaintflow_roles hook returned a bad role {role!r}")
            extra.add(role)
    return ROLES | extra


def check_roles(actor: Actor, known: Iterable[str] = ROLES, *, field: str = "actor.roles") -> Actor:
    """``actor`` if every one of its roles is known; otherwise
    :class:`InvalidInput` naming the unknown role, the nearest known one,
    and the known roles.

    >>> import complaintflow as cf
    >>> try:
    ...     check_roles(cf.Actor(id="agent-li", roles={"handlr"}))
    ... except cf.InvalidInput as e:
    ...     print(e.errors[0]["reason"])
    unknown role 'handlr'; did you mean 'handler'? Known roles: complainant, ...
    """
    if not isinstance(actor, Actor):
        raise InvalidInput.field("actor", f"must be an Actor, not {type(actor).__name__}")
    known = frozenset(known)
    unknown = sorted(actor.roles - known)
    if not unknown:
        return actor
    errors = []
    for role in unknown:
        close = difflib.get_close_matches(role, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else "."
        errors.append(
            {
                "field": field,
                "reason": f"unknown role {role!r}{hint} Known roles: {', '.join(sorted(known))} "
                "(plugins may declare more with the complaintflow_roles hook)",
            }
        )
    message = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    raise InvalidInput(message, errors)
