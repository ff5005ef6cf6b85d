"""The explicit engine: shortest counterexamples, bounds, deadlocks, model errors, fingerprints."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paraspec.checker.explicit import Checker
from paraspec.checker.results import Verdict
from paraspec.checker.fingerprint import canonical, fingerprint
from paraspec.checker.simulate import simulate
from paraspec.model.config import get_preset
from paraspec.properties.core import Kind, Property

from .toy import BuggyToy, Count, DeadlockingToy, IncX, IncY, Toy

CFG = get_preset("tiny")


def prop(name, kind, pred, witness=None):
    return Property(name, kind, "toy", ("TOY-1",), pred, witness)


def test_full_state_count_and_depth():
    # states: 0 <= y <= x <= 5: 21 states; depth: 10 steps to (5, 5)
    r = Checker(Toy(CFG)).run()
    assert r.states == 21
    assert r.depth == 10
    assert r.complete and r.stopped is None
    assert r.rejections == {"TOY-1": 6, "TOY-2": 6}


def test_counterexample_is_shortest():
    # x + y == 7 is first reachable at depth 7 (e.g. x=4, y=3)
    p = prop("never_seven", Kind.ALWAYS, lambda m, s: s.x + s.y != 7, lambda m, s: True)
    r = Checker(Toy(CFG)).with_properties([p]).run()
    pr = r.properties[0]
    assert pr.verdict == Verdict.VIOLATED
    assert len(pr.trace) == 7
    last = pr.trace.states[-1]
    assert last.x + last.y == 7
    # the trace replays: each action leads to the next state
    m = Toy(CFG)
    for s, a, t in zip(pr.trace.states, pr.trace.actions, pr.trace.states[1:]):
        assert m.step(s, a) == t


def test_transition_property_sees_rejections():
    # "IncY is never rejected" fails at the initial state: shortest trace has one (rejected) action
    p = prop("incy_accepted", Kind.TRANSITION,
             lambda m, s, a, t: not (isinstance(a, IncY) and not isinstance(t, Count)),
             lambda m, s, a, t: isinstance(a, IncY))
    r = Checker(Toy(CFG)).with_properties([p]).run()
    pr = r.properties[0]
    assert pr.verdict == Verdict.VIOLATED
    assert len(pr.trace) == 1 and pr.trace.rejection is not None
    assert pr.trace.rejection.rule_id == "TOY-1"


def test_vacuous_and_sometimes():
    never = prop("about_nothing", Kind.ALWAYS, lambda m, s: True, lambda m, s: s.x > 99)
    reach = prop("reach_55", Kind.SOMETIMES, lambda m, s: s.x == 5 and s.y == 5)
    unreach = prop("reach_66", Kind.SOMETIMES, lambda m, s: s.x == 6)
    r = Checker(Toy(CFG)).with_properties([never, reach, unreach]).run()
    assert [p.verdict for p in r.properties] == [Verdict.VACUOUS, Verdict.WITNESSED, Verdict.UNWITNESSED]
    assert len(r.properties[1].trace) == 10
    assert not r.ok


@pytest.mark.parametrize("depth,states", [(0, 1), (1, 2), (2, 4), (3, 6), (4, 9)])
def test_max_depth_bounds(depth, states):
    r = Checker(Toy(CFG)).with_max_depth(depth).run()
    assert r.states == states
    assert r.stopped == "max_depth" and not r.complete


def test_max_states_bound():
    r = Checker(Toy(CFG)).with_max_states(5).run()
    assert not r.complete and r.stopped == "max_states"
    assert 5 <= r.states < 21


def test_deadlock_detection():
    # (5, 5) has no accepted input
    r = Checker(DeadlockingToy(CFG)).run()
    assert r.deadlocks == 1
    assert r.deadlock_trace is not None and r.deadlock_trace.states[-1] == Count(5, 5)
    assert not r.ok
    assert Checker(Toy(CFG)).run().ok  # the same graph where deadlock is allowed


def test_model_error_is_not_a_rejection():
    r = Checker(BuggyToy(CFG)).run()
    assert r.error is not None
    assert "ZeroDivisionError" in r.error.message
    assert r.error.trace.states[-1].x == 2  # the state whose successor raised
    assert not r.ok


def test_stop_on_violation():
    p = prop("x_small", Kind.ALWAYS, lambda m, s: s.x < 2, lambda m, s: True)
    r = Checker(Toy(CFG)).with_properties([p]).with_stop_on_violation().run()
    assert r.stopped == "violation" and r.properties[0].verdict == Verdict.VIOLATED
    assert r.states < 21


def test_fingerprint_stable_across_processes():
    from paraspec.model.availability import AvailabilityState, ParaAvailability, Status

    s = AvailabilityState((ParaAvailability(Status.TO_BE_DETERMINED, 5, 1, 1, 0, 0), ParaAvailability()), 2)
    code = ("from paraspec.model.availability import *; from paraspec.checker.fingerprint import fingerprint;"
            "print(fingerprint(AvailabilityState((ParaAvailability(Status.TO_BE_DETERMINED, 5, 1, 1, 0, 0),"
            " ParaAvailability()), 2)))")
    root = str(Path(__file__).resolve().parent.parent)
    outs = set()
    for seed in ("0", "1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=root, env={"PYTHONHASHSEED": seed, "PYTHONPATH": root})
        outs.add(int(out.stdout))
    assert outs == {fingerprint(s)}


@given(st.frozensets(st.text(max_size=4), max_size=6))
def test_canonical_form_of_sets_ignores_construction_order(xs):
    a = frozenset(sorted(xs))
    b = frozenset(sorted(xs, reverse=True))
    assert canonical(a) == canonical(b)
    assert fingerprint(a) == fingerprint(b)


@given(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5))
def test_fingerprint_distinguishes_states(a, b, c, d):
    assert (fingerprint(Count(a, b)) == fingerprint(Count(c, d))) == ((a, b) == (c, d))


def test_simulation_is_reproducible():
    p = prop("never_seven", Kind.ALWAYS, lambda m, s: s.x + s.y != 7, lambda m, s: True)
    r1 = simulate(Toy(CFG), [p], seed=7, steps=200, walk_depth=12)
    r2 = simulate(Toy(CFG), [p], seed=7, steps=200, walk_depth=12)
    assert r1.properties[0].verdict == Verdict.VIOLATED
    assert r1.properties[0].trace == r2.properties[0].trace
    assert r1.transitions == r2.transitions == 200
