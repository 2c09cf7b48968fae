"""The engine's reporting side: figures, deadline certificates and what-if.

Read-only: nothing here writes to the store. :class:`~complaintflow.Engine`
has these methods (this mixin keeps ``engine.py`` to its orchestration of
commands; see ``docs/design.md``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from complaintflow._analysis import Analysis, analyse, check_find
from complaintflow._base import aware
from complaintflow._certificates import DeadlineCertificate, build_certificate
from complaintflow._metrics import Metrics, compute_metrics
from complaintflow._simulate import Simulation, simulate
from complaintflow._sla_report import DeadlineReport, sla_report
from complaintflow._vault import Vault
from complaintflow.categories import CategoryRegistry
from complaintflow.models import Complaint
from complaintflow.sla import BusinessCalendar, SlaPolicy
from complaintflow.sla._tracker import SlaTracker
from complaintflow.stores import Store


class Reports:
    """Figures, certificates and what-if over an engine's store."""

    store: Store
    _vault: Vault
    calendar: BusinessCalendar
    categories: CategoryRegistry
    _sla: SlaTracker

    def now(self) -> datetime:  # pragma: no cover - the engine's
        raise NotImplementedError

    def get(self, complaint_id: str) -> Complaint:  # pragma: no cover - the engine's
        raise NotImplementedError

    def metrics(
        self,
        *,
        since: datetime,
        until: datetime,
        category: str | None = None,
        now: datetime | None = None,
    ) -> Metrics:
        """Handling figures (:class:`~complaintflow.Metrics`) for complaints
        received in ``[since, until)``, of one category when given, as of
        ``now`` (the clock's time when omitted)."""
        since, until = aware(since, "since"), aware(until, "until")
        now = aware(now, "now") if now is not None else self.now()
        if category is not None:
            self.categories.require(category)
        return compute_metrics(
            self.store, self.calendar, since=since, until=until, now=now, category=category
        )

    def explain(
        self,
        complaint_id: str,
        target: str,
        *,
        cycle: int | None = None,
        now: datetime | None = None,
    ) -> DeadlineCertificate:
        """The :class:`~complaintflow.DeadlineCertificate` of one target: the
        rule, the start event, the calendar, each day counted, the pauses,
        extensions and recalculations, the deadline and the outcome as of
        ``now`` (the clock's time when omitted)."""
        c = self.get(complaint_id)
        now = aware(now, "now") if now is not None else self.now()
        events = self.store.events(c.id)
        return build_certificate(c, events, self._sla, target, cycle=cycle, now=now)

    def simulate(
        self,
        *,
        policy: SlaPolicy | None = None,
        calendar: BusinessCalendar | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        now: datetime | None = None,
        batch: int = 500,
    ) -> Simulation:
        """What-if: the stored complaints received in ``[since, until)``
        replayed under a draft ``policy`` and/or ``calendar``, read from the
        store ``batch`` at a time; per target met/breached/running before and
        after as of ``now``, and each target whose outcome changes. Writes
        nothing."""
        since = aware(since, "since") if since is not None else None
        until = aware(until, "until") if until is not None else None
        now = aware(now, "now") if now is not None else self.now()
        return simulate(
            self.store, self._sla, policy=policy, calendar=calendar,
            since=since, until=until, now=now, batch=batch,
        )  # fmt: skip

    # -- analysis and the triage queue ------------------------------------------------

    def find(self, **filters: Any) -> list[Complaint]:
        """The store's :meth:`~complaintflow.stores.Store.find`, as is: e.g.
        ``find(needs_triage=True, open_only=True)`` lists the triage queue."""
        return self.store.find(**check_find(filters))

    def analysis(
        self, since: datetime, until: datetime, *, top: int = 10, spike_min: int = 5
    ) -> Analysis:
        """The complaints received in ``[since, until)`` analysed (guide
        §1.2.2–1.2.3), read from the store a page at a time: weekly counts
        per category and channel, the ``top`` respondents by upheld
        complaints with their trend, repeat complainants, spikes (a week
        above mean + 3 sd of the previous 8 and at least ``spike_min``) and
        the most frequent terms per category. See docs/analysis.md."""
        texts = self._vault.screening(self.store)  # terms count the descriptions too
        return analyse(texts, since, until, top=top, spike_min=spike_min)

    # -- the SLA report ---------------------------------------------------------------

    def sla_report(
        self,
        since: datetime,
        until: datetime,
        *,
        period: str = "month",
        now: datetime | None = None,
        certificates: bool = True,
        batch: int = 500,
    ) -> DeadlineReport:
        """Deadlines kept and missed for the complaints received in ``[since,
        until)`` (guide §3.1 timeliness): per ``period`` of receipt (``week``,
        ``month``, ``quarter``), category and target the met, breached and
        running counts as of ``now``, the rates, the median and 90th
        percentile hours to each step; open complaints by age; every breach
        with its certificate (unless ``certificates`` is false). Read from the
        store ``batch`` at a time; writes nothing. See docs/reports.md."""
        now = aware(now, "now") if now is not None else self.now()
        return sla_report(
            self.store, self._sla, since, until,
            period=period, now=now, certificates=certificates, batch=batch,
        )  # fmt: skip
