"""The soak (benchmarks/chat/soak.py): its judgement on made-up samples, and a short soak of a
real server (CI's version of `make soak`)."""

import asyncio
import os

import pytest

from benchmarks.chat.soak import Options, Sample, judge, soak

# Samples of 10 s; the warm-up is the first 20 s.
WARM_UP = 20.0
RATE = 60.0


def samples(*, rss=None, p99=None, replies=None, count=10) -> list[Sample]:
    """``count`` intervals of a flat soak, with the values given (by interval) instead."""
    rss = rss or [{"daphne[1]": 100_000}] * count
    p99 = p99 or [50.0] * count
    replies = replies or [600] * count
    return [
        Sample(
            elapsed=10.0 * (n + 1),
            seconds=10.0,
            replies=replies[n],
            p50_ms=10.0,
            p95_ms=30.0,
            p99_ms=p99[n],
            errors=0,
            misdelivered=0,
            visitors=100,
            rss_kib=rss[n],
        )
        for n in range(count)
    ]


def verdicts(made_up: list[Sample], *, errors=0, misdelivered=0) -> dict[str, bool]:
    judged = judge(made_up, warm_up=WARM_UP, rate=RATE, errors=errors, misdelivered=misdelivered)
    return {verdict.criterion: verdict.ok for verdict in judged}


def test_a_flat_soak_passes():
    assert verdicts(samples()) == {
        "memory": True,
        "errors": True,
        "misdelivered": True,
        "latency": True,
        "load held": True,
    }


def test_memory_that_grows_5_percent_after_the_warm_up_fails():
    # The end of the warm-up (the second sample) is the base, whatever the first held.
    growing = [{"daphne[1]": kib} for kib in (60_000, 100_000, *[102_000] * 7, 105_000)]
    assert not verdicts(samples(rss=growing))["memory"]
    growing[-1] = {"daphne[1]": 104_900}
    assert verdicts(samples(rss=growing))["memory"]


def test_every_process_is_judged():
    two = [{"daphne[1]": 100_000, "python[2]": 50_000}] * 9 + [
        {"daphne[1]": 100_000, "python[2]": 60_000}
    ]
    assert not verdicts(samples(rss=two))["memory"]
    # A process that was not there at the end of the warm-up is growth too.
    late = [{"daphne[1]": 100_000}] * 9 + [{"daphne[1]": 100_000, "python[3]": 1_000}]
    assert not verdicts(samples(rss=late))["memory"]
    # And a process that has ended (a server that died holds no memory) is no pass.
    gone = [{"daphne[1]": 100_000, "python[2]": 50_000}] * 9 + [{"daphne[1]": 100_000}]
    assert not verdicts(samples(rss=gone))["memory"]
    assert not verdicts(samples(rss=[{"daphne[1]": 100_000}] * 9 + [{}]))["memory"]


def test_latency_that_drifts_up_fails():
    drifting = [50.0] * 5 + [90.0, 120.0, 160.0, 200.0, 250.0]
    assert not verdicts(samples(p99=drifting))["latency"]
    # The intervals after the warm-up are the third to the tenth: thirds of two, and 1.5x.
    assert verdicts(samples(p99=[50.0] * 8 + [70.0, 74.0]))["latency"]
    assert not verdicts(samples(p99=[50.0] * 8 + [80.0, 76.0]))["latency"]


def test_one_disturbed_interval_is_not_a_drift():
    # Nine intervals after the warm-up: thirds of three, whose medians pass over one spike,
    # even in the last interval (a neighbour's job on a shared machine)...
    spike = [50.0] * 10 + [900.0]
    assert verdicts(samples(p99=spike, count=11))["latency"]
    # ...but not over two of the last three.
    spike[-2] = 900.0
    assert not verdicts(samples(p99=spike, count=11))["latency"]


def test_any_error_or_misdelivered_frame_fails():
    assert not verdicts(samples(), errors=1)["errors"]
    assert not verdicts(samples(), misdelivered=1)["misdelivered"]


def test_a_server_that_fell_behind_the_rate_fails():
    assert not verdicts(samples(replies=[600] * 5 + [500] * 5))["load held"]


def test_a_soak_too_short_for_its_warm_up_cannot_pass():
    judged = judge(samples()[:2], warm_up=WARM_UP, rate=RATE, errors=0, misdelivered=0)
    assert {v.criterion for v in judged if not v.ok} == {"memory", "latency", "load held"}


def test_a_short_soak_of_a_real_server():
    """18 s of visitors arriving, asking and leaving at 15 replies/s, on the layer REDIS_URL
    names (CI: Redis): nothing goes wrong, every interval is sampled and judged."""
    options = Options(
        minutes=0.3,
        interval=3,
        rate=15,
        questions=3,
        pace=1,
        redis_url=os.environ.get("REDIS_URL") or None,
    )
    result = asyncio.run(soak(options))
    assert dict(result.result.errors) == {}
    assert result.result.misdelivered == 0
    assert result.result.visitors > 45
    assert [s.elapsed for s in result.samples] == pytest.approx([3, 6, 9, 12, 15, 18])
    assert all(s.replies and s.errors == 0 and s.misdelivered == 0 for s in result.samples)
    for sample in result.samples:
        (name, kib), *children = sample.rss_kib.items()
        assert name.startswith("daphne[") and kib > 50_000
    judged = {verdict.criterion: verdict.ok for verdict in result.verdicts}
    # Memory, latency and the rate are judged, but 18 s on a shared machine says little of them.
    assert judged.keys() == {"memory", "errors", "misdelivered", "latency", "load held"}
    assert judged["errors"] and judged["misdelivered"]
