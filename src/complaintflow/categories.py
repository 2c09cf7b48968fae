"""Complaint categories (guide §1.1) and their procedures (guide §4).

The five built-in categories are registered by a built-in plugin through the
same hook third-party plugins use, ``complaintflow_register_categories``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pydantic import Field, model_validator

from complaintflow._base import Id, Model
from complaintflow.errors import InvalidInput, PluginError

__all__ = ["BUILTIN_CATEGORIES", "Category", "CategoryRegistry", "Step"]


class Step(Model):
    """One step of a category's procedure (guide §4).

    ``fields`` names values the step must record and the values allowed,
    e.g. ``{"risk_level": ("low", "medium", "high", "critical")}``."""

    id: Id
    name: str
    name_zh: str | None = None
    fields: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class Category(Model):
    """A complaint category: its names, procedure, the steps required before
    a decision, classification keywords and SLA overrides."""

    id: Id
    name: str
    name_zh: str | None = None
    guide_section: str | None = None
    description: str = ""
    steps: tuple[Step, ...] = ()
    required_steps: frozenset[str] = frozenset()
    """Steps that must be done before ``decide`` (guide §3.1 fairness)."""
    keywords: tuple[str, ...] = ()
    sla_overrides: dict[str, Any] = Field(default_factory=dict)
    """Target name -> duration, replacing that target's duration for this category."""

    @model_validator(mode="after")
    def _check_steps(self) -> Category:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError(f"steps: duplicate step ids in {ids}")
        missing = self.required_steps - set(ids)
        if missing:
            raise ValueError(f"required_steps: not steps of the category: {sorted(missing)}")
        return self

    def step(self, step_id: str) -> Step | None:
        """The step with that id, or ``None``."""
        for s in self.steps:
            if s.id == step_id:
                return s
        return None


class CategoryRegistry(Mapping[str, Category]):
    """The categories an engine knows, by id."""

    def __init__(self) -> None:
        self._by_id: dict[str, Category] = {}

    def register(self, category: Category) -> None:
        """Add a category; a second category with the same id is an error."""
        if not isinstance(category, Category):
            raise PluginError(f"register() takes a Category, not {type(category).__name__}")
        if category.id in self._by_id:
            raise PluginError(f"category {category.id!r} is registered twice")
        self._by_id[category.id] = category

    def require(self, category_id: str, field: str = "category") -> Category:
        """The category with that id, or :class:`InvalidInput` naming the field."""
        try:
            return self._by_id[category_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id))
            raise InvalidInput.field(
                field, f"unknown category {category_id!r}; known: {known}"
            ) from None

    def __getitem__(self, key: str) -> Category:
        return self._by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)


def _steps(*rows: tuple[str, str, str]) -> tuple[Step, ...]:
    return tuple(Step(id=i, name=n, name_zh=z) for i, n, z in rows)


_S41 = _steps(
    ("check_content", "Check the complaint's content", "检查投诉内容"),
    ("confirm_target", "Confirm who it is against", "确认投诉对象"),
    ("contact_complainant", "Contact the complainant", "联系投诉人"),
    ("investigate", "Investigate", "调查核实"),
    ("feedback_result", "Feed back the result", "处理结果反馈"),
)
_REQ41 = frozenset({"contact_complainant", "investigate"})

BUILTIN_CATEGORIES: Final[tuple[Category, ...]] = (
    Category(
        id="service",
        name="Service complaint",
        name_zh="服务投诉",
        guide_section="§1.1, §4.1",
        description="Quality, attitude or process of the platform's service.",
        steps=_S41,
        required_steps=_REQ41,
        keywords=("service", "customer service", "support", "attitude", "服务", "客服", "态度"),
    ),
    Category(
        id="goods",
        name="Goods complaint",
        name_zh="商品投诉",
        guide_section="§1.1, §4.1",
        description="Quality, description or price of goods sold on the platform.",
        steps=_S41,
        required_steps=_REQ41,
        keywords=("broken", "defective", "fake", "counterfeit", "quality", "商品", "质量", "假货"),
    ),
    Category(
        id="after_sales",
        name="After-sales service complaint",
        name_zh="售后服务投诉",
        guide_section="§1.1, §4.1",
        description="After-sales service by the platform or its service providers.",
        steps=_S41,
        required_steps=_REQ41,
        keywords=("repair", "warranty", "return", "refund", "售后", "维修", "保修", "退货"),
    ),
    Category(
        id="transaction_dispute",
        name="Transaction dispute",
        name_zh="交易纠纷投诉",
        guide_section="§1.1, §4.2",
        description="Payment, logistics, or disagreements between the two parties.",
        steps=_steps(
            ("confirm_dispute_type", "Confirm the dispute type", "确认纠纷类型"),
            ("contact_both_parties", "Contact both parties", "联系交易双方"),
            ("investigate", "Investigate", "调查核实"),
            ("propose_solution", "Propose a solution", "提出解决方案"),
            ("follow_outcome", "Follow the outcome", "跟进处理结果"),
        ),
        required_steps=frozenset({"contact_both_parties", "investigate"}),
        keywords=("payment", "delivery", "logistics", "charged", "支付", "物流", "快递", "纠纷"),
    ),
    Category(
        id="violation",
        name="Violation complaint",
        name_zh="违规行为投诉",
        guide_section="§1.1",
        description="False advertising, infringement, unfair competition on the platform.",
        steps=_steps(
            ("check_content", "Check the complaint's content", "检查投诉内容"),
            ("confirm_target", "Confirm who it is against", "确认投诉对象"),
            ("contact_respondent", "Contact the respondent", "联系被投诉方"),
            ("investigate", "Investigate", "调查核实"),
        ),
        required_steps=frozenset({"contact_respondent", "investigate"}),
        keywords=("false advertising", "infringement", "copyright", "虚假宣传", "侵权", "违规"),
    ),
)
"""The five categories of guide §1.1 with their §4 procedures."""
