"""The reports benchmark (benchmarks/reports/bench_reports.py) on a small history: what
`make bench-reports` measures at 100,000 conversations."""

import pytest
from django.db import connection

from benchmarks.console.dataset import populate
from benchmarks.reports.bench_reports import main, measure, percentile, plan_facts, touch


@pytest.mark.django_db
def test_the_bench_times_each_period_s_report_and_reads_the_plans():
    populate(conversations=120, days=30, agents=3, seed=3)
    timings = measure(periods=(7, 90), runs=3)
    assert [(timing.days, timing.runs) for timing in timings] == [(7, 3), (90, 3)]
    assert timings[1].conversations == 120
    assert 0 < timings[0].conversations < 120
    assert all(0 < timing.median_ms <= timing.p95_ms for timing in timings)
    assert touch(share=0.1) == 12
    facts = plan_facts(days=90)
    if connection.vendor == "postgresql":
        assert facts[0].startswith("stale: ")
        assert any(line.startswith("report: ") for line in facts)
        assert any("on chat_conversation" in line for line in facts)
    else:
        assert facts == []  # PostgreSQL's plans only


def test_the_95th_percentile_of_the_runs():
    assert percentile([5.0, 1.0, 3.0], 0.95) == 5.0
    assert percentile(list(map(float, range(1, 21))), 0.95) == 19.0


def test_the_bench_wants_a_postgresql_database(monkeypatch, capsys):
    monkeypatch.setenv("REPORTS_BENCH_DATABASE_URL", "sqlite:///bench.sqlite3")
    with pytest.raises(SystemExit):
        main([])
    assert "must be a PostgreSQL database" in capsys.readouterr().err
