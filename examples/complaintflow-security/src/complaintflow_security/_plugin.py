"""The network-security category (guide §4.3, 网络安全投诉) and its
risk-based deadlines, contributed through complaintflow's hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

import complaintflow as cf

CATEGORY_ID: Final = "network_security"
RISK_STEP: Final = "assess_risk"
RISK_FIELD: Final = "risk_level"
RISK_LEVELS: Final = ("low", "medium", "high", "critical")

NETWORK_SECURITY: Final = cf.Category(
    id=CATEGORY_ID,
    name="Network security complaint",
    name_zh="网络安全投诉",
    guide_section="§4.3",
    description="Hacked accounts, phishing, malware, leaked personal data on the platform.",
    steps=(
        cf.Step(id="confirm_type", name="Confirm the complaint's type", name_zh="确认投诉类型"),
        cf.Step(
            id=RISK_STEP,
            name="Assess the risk level",
            name_zh="评估风险等级",
            fields={RISK_FIELD: RISK_LEVELS},
        ),
        cf.Step(id="contact_teams", name="Contact the teams concerned", name_zh="联系相关团队"),
        cf.Step(id="investigate", name="Investigate", name_zh="调查核实"),
        cf.Step(id="handle", name="Handle the complaint", name_zh="处理投诉"),
        cf.Step(id="preventive_measures", name="Take preventive measures", name_zh="防范措施"),
    ),
    # a decision needs the risk known (it also sets the deadlines), the
    # teams concerned heard and the facts verified; handling and prevention
    # carry the decision out, so they come after it
    required_steps=frozenset({RISK_STEP, "contact_teams", "investigate"}),
    keywords=(
        "hacked",
        "phishing",
        "malware",
        "data leak",
        "account stolen",
        "network security",
        "网络安全",
        "钓鱼",
        "木马",
        "数据泄露",
        "盗号",
    ),
)
"""The category this plugin registers."""


def _tightened(name: str, durations: Mapping[str, cf.Duration]) -> cf.SlaPolicy:
    return cf.SlaPolicy(
        (
            cf.SlaTarget(t.name, t.start, t.stop, durations[t.name], t.pause_in, t.warn_at)
            for t in cf.GUIDE_POLICY
        ),
        name=name,
    )


HIGH_RISK_POLICY: Final = _tightened(
    "security-high",
    {
        "preliminary_verification": cf.hours(4),
        "verification": cf.hours(12),
        "decision_notice": cf.hours(12),
        "execution": cf.hours(12),
        "follow_up": cf.working_days(3),
    },
)
"""The guide's §3.3 targets, tightened for a high risk."""

CRITICAL_RISK_POLICY: Final = _tightened(
    "security-critical",
    {
        "preliminary_verification": cf.hours(1),
        "verification": cf.hours(4),
        "decision_notice": cf.hours(4),
        "execution": cf.hours(4),
        "follow_up": cf.working_days(1),
    },
)
"""The guide's §3.3 targets, tightened for a critical risk."""

POLICIES: Final[Mapping[str, cf.SlaPolicy]] = MappingProxyType(
    {"high": HIGH_RISK_POLICY, "critical": CRITICAL_RISK_POLICY}
)
"""Risk level -> the policy that replaces the engine's; other levels keep it."""


def risk_level(complaint: cf.Complaint) -> str | None:
    """The risk level recorded at ``assess_risk`` in the complaint's current
    cycle, or ``None`` before the assessment."""
    return complaint.step_data.get(RISK_STEP, {}).get(RISK_FIELD)


@cf.hookimpl
def complaintflow_register_categories(register: Callable[[cf.Category], None]) -> None:
    """Register :data:`NETWORK_SECURITY`."""
    register(NETWORK_SECURITY)


RULES: Final = cf.RuleSet.loads(
    """
# one signal of a security incident outweighs the generic words ("account",
# "login") that the default rules read as a service complaint
[[rules]]
id = "network_security.en"
category = "network_security"
weight = 3
any = ["hacked", "phishing", "malware", "data leak", "account stolen", "network security"]

[[rules]]
id = "network_security.zh"
category = "network_security"
weight = 3
any = ["网络安全", "钓鱼", "木马", "数据泄露", "盗号"]
""",
    source="complaintflow_security",
    categories=[*(c.id for c in cf.BUILTIN_CATEGORIES), CATEGORY_ID],
)
"""Classification rules for the category (guide §2.3), as data."""


@cf.hookimpl
def complaintflow_rule_sets() -> list[cf.RuleSet]:
    return [RULES]


@cf.hookimpl
def complaintflow_sla_policy(complaint: cf.Complaint) -> cf.SlaPolicy | None:
    """The tightened policy for a high or critical network-security complaint;
    ``None`` (the engine's own policy) for anything else."""
    if complaint.category != CATEGORY_ID:
        return None
    level = risk_level(complaint)
    return None if level is None else POLICIES.get(level)
