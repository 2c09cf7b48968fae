"""complaintflow-security: network-security complaints (guide §4.3) for complaintflow.

Installed, it is found through the entry point ``security`` of the group
``complaintflow``; this module is the plugin. Block it with
``COMPLAINTFLOW_DISABLE_PLUGINS=security``, or pass it explicitly with
``cf.Engine(plugins=[complaintflow_security], load_entry_points=False)``.
"""

from complaintflow_security._plugin import (
    CATEGORY_ID,
    CRITICAL_RISK_POLICY,
    HIGH_RISK_POLICY,
    NETWORK_SECURITY,
    POLICIES,
    RISK_LEVELS,
    RULES,
    complaintflow_register_categories,
    complaintflow_rule_sets,
    complaintflow_sla_policy,
    risk_level,
)

__all__ = [
    "CATEGORY_ID",
    "CRITICAL_RISK_POLICY",
    "HIGH_RISK_POLICY",
    "NETWORK_SECURITY",
    "POLICIES",
    "RISK_LEVELS",
    "RULES",
    "complaintflow_register_categories",
    "complaintflow_rule_sets",
    "complaintflow_sla_policy",
    "risk_level",
]
