"""Arguments of the reports' outputs found in review (docs/reports.md,
docs/analysis.md): the charts' sizes and the batch of a scan are checked
and named, and a refusal writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import complaintflow as cf

SINCE, UNTIL = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def engine() -> cf.Engine:
    return cf.Engine(load_entry_points=False)


@pytest.mark.parametrize(
    ("size", "field"),
    [
        ({"width": -5}, "width"),
        ({"width": 0}, "width"),
        ({"height": 10}, "height"),
        ({"width": '1" onload="alert(1)'}, "width"),
        ({"height": 2.5}, "height"),
        ({"width": True}, "width"),
        ({"width": 10**9}, "width"),
    ],
)
def test_a_chart_size_is_whole_pixels_in_range(
    engine: cf.Engine, size: dict[str, object], field: str
) -> None:
    report = engine.sla_report(SINCE, UNTIL)
    analysis = engine.analysis(SINCE, UNTIL)
    for draw in (report.to_svg, analysis.svg):
        with pytest.raises(cf.InvalidInput, match=rf"^{field}: must be a whole number of pixels"):
            draw(**size)  # type: ignore[arg-type]


def test_the_default_and_the_bounds_of_a_chart_size_draw(engine: cf.Engine) -> None:
    report = engine.sla_report(SINCE, UNTIL)
    # SLA report: 40 px of axis labels, 210 of legend, a plot of 100 at least
    assert 'width="350" height="150"' in report.to_svg(width=350, height=150)
    assert 'width="10000"' in report.to_svg(width=10_000)
    with pytest.raises(cf.InvalidInput, match="width"):
        report.to_svg(width=349)
    assert 'width="760" height="320"' in report.to_svg()


@pytest.mark.parametrize("batch", [0, -1, 10**7, True, "500"])
def test_a_batch_out_of_range_names_the_batch(engine: cf.Engine, batch: object) -> None:
    with pytest.raises(cf.InvalidInput, match=r"^batch: "):
        engine.sla_report(SINCE, UNTIL, batch=batch)  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match=r"^batch: "):
        engine.simulate(batch=batch)  # type: ignore[arg-type]
