"""The plugin passes complaintflow's conformance kit: the category-plugin
contract, and the notifier contract on an engine that carries the plugin
(its risk-based policies must not disturb notification delivery)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import complaintflow_security as sec

import complaintflow as cf
from complaintflow.testing import CategoryContract, NotifierContract, check_category_plugin


class TestSecurityCategory(CategoryContract):
    plugin = sec


def test_the_contract_sees_the_network_security_category() -> None:
    (category,) = check_category_plugin(sec)
    # guide §4.3: 网络安全投诉
    assert (category.id, category.name_zh) == ("network_security", "网络安全投诉")


class SecOpsPager:
    """A notifier a security team would add beside the plugin: pages the
    on-call engineer, at most once per idempotency key."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.tries: Counter[str] = Counter()
        self.paged: list[str] = []

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        key = notification.idempotency_key
        if key in self.paged:
            return
        self.tries[key] += 1
        if self.tries[key] <= self.failures:
            raise TimeoutError("pager service timed out")
        self.paged.append(key)


class TestPagerWithTheSecurityCategory(NotifierContract):
    """A network-security complaint's whole life, with the plugin's
    risk-based policies, notified through the pager."""

    category = sec.NETWORK_SECURITY
    plugins = (sec,)

    def make_notifier(self, failures: int) -> SecOpsPager:
        return SecOpsPager(failures)

    def delivered(self, notifier: SecOpsPager) -> Sequence[str]:
        return notifier.paged
