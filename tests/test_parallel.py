"""Parallel search over worker processes: the same states, verdicts and traces as one process."""

import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, properties_of


@pytest.mark.parametrize("machine,preset,mutant,overrides", [
    ("availability", "trio", None, {}),
    ("inclusion", "tiny", None, {"max_candidates": 1}),
    ("availability", "trio", "av_unavailable_still_counted", {}),
    ("inclusion", None, "inc_unvoted_never_ages", {}),
])
def test_two_workers_agree_with_one(machine, preset, mutant, overrides):
    m = build(machine, preset, mutant, overrides)
    props = properties_of(machine)
    one = Checker(m).with_properties(props).with_engine("explicit").run()
    two = Checker(m).with_properties(props).with_engine("explicit").with_workers(2).run()
    assert two.engine == "bfsx2"
    assert (one.states, one.depth, one.transitions, one.rejections, one.deadlocks) == \
        (two.states, two.depth, two.transitions, two.rejections, two.deadlocks)
    for a, b in zip(one.properties, two.properties):
        assert (a.property.name, a.verdict, a.witnessed) == (b.property.name, b.verdict, b.witnessed)
        assert a.trace == b.trace


def test_parallel_symmetry_and_stop_on_violation():
    m = build("avail_core", None, "ac_timeout_early")
    props = properties_of("avail_core")
    one = Checker(m).with_properties(props).with_engine("explicit").with_symmetry().with_max_depth(10) \
        .with_stop_on_violation(["timeout_exactly_at_period"]).run()
    two = Checker(m).with_properties(props).with_engine("explicit").with_symmetry().with_max_depth(10) \
        .with_stop_on_violation(["timeout_exactly_at_period"]).with_workers(2).run()
    assert one.states == two.states and one.stopped == two.stopped == "violation"
    assert [p.verdict for p in one.properties] == [p.verdict for p in two.properties]
