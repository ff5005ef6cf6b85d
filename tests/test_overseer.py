"""The ``overseer`` machine (spec/overseer.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.explicit import Checker
from checker.fingerprint import fingerprint
from checker.registry import build, load_all
from model.core import Rejected
from model.overseer import Deliver, Finalize, Import, Signal
from properties.core import Kind, mutants_for, properties_for

load_all()

MACHINE = "overseer"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)

PINNED = {"tiny": (9598, 26596)}


def _run(preset="tiny", overrides=(), props=None, mutant=None):
    m = build(MACHINE, preset, mutant=mutant, overrides=dict(overrides) or None)
    return Checker(m).with_properties(properties_for(MACHINE) if props is None else props).run()


def _step(m, s, a):
    try:
        return m.step(s, a)
    except Rejected as r:
        return r


@pytest.mark.parametrize("preset", list(PINNED))
def test_pinned_state_count_and_verdicts(preset):
    r = _run(preset)
    assert r.complete and r.error is None
    assert (r.states, r.transitions) == PINNED[preset]
    for p in r.properties:
        expected = "witnessed" if p.property.kind == Kind.SOMETIMES else "holds"
        assert p.verdict == expected, (p.property.name, p.verdict)


@pytest.mark.parametrize("mutant", [m.name for m in mutants_for(MACHINE)])
def test_mutant_killed(mutant):
    mu = next(m for m in mutants_for(MACHINE) if m.name == mutant)
    props = [p for p in properties_for(MACHINE) if p.name in mu.kills]
    assert len(props) == len(mu.kills)
    r = _run(mu.preset or "tiny", mu.overrides, props, mutant)
    assert r.error is None
    for p in r.properties:
        assert p.verdict == "violated", (mutant, p.property.name, p.verdict)
        assert p.trace is not None and p.trace.states  # the shortest counterexample


def test_every_safety_property_is_killed_and_witnessed():
    killed = {k for m in mutants_for(MACHINE) for k in m.kills}
    for p in properties_for(MACHINE):
        if p.kind in (Kind.ALWAYS, Kind.TRANSITION):
            assert p.witness is not None, p.name
            assert p.name in killed, p.name


def test_rule_ids_map_to_properties():
    rules = set(RULE.findall((SPEC / "overseer.md").read_text()))
    assert rules == {f"OVS-{i}" for i in range(1, 6)}
    assert rules == {r for p in properties_for(MACHINE) for r in p.rules}


def test_import_then_finalize_scenario():
    """Import 1, 2, 3; finalize 3: leaf 2 (height 1 <= 2) is pruned with a StopWork."""
    m = build(MACHINE, "tiny")
    s = next(iter(m.init()))
    for b in (1, 2, 3):
        s = m.step(s, Import(b))
    assert s.leaves == (1 << 2) | (1 << 3)
    s = m.step(s, Finalize(3))
    assert s.leaves == 1 << 3
    assert s.inbox[0][-1] == (int(Signal.STOP_WORK), 2)
    # subsystem 0 drains its inbox: its jobs are the active leaves
    while s.inbox[0]:
        s = m.step(s, Deliver(0))
    assert s.jobs[0] == s.leaves


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40))
def test_random_walks_keep_the_properties(choices):
    m = build(MACHINE, "tiny")
    props = properties_for(MACHINE)
    always = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
    s = first = next(iter(m.init()))
    trail = []
    for c in choices:
        acts = list(m.actions(s))
        if not acts:
            break
        a = acts[c % len(acts)]
        t = _step(m, s, a)
        for p in trans:
            if not p.on or isinstance(a, p.on):
                assert p.predicate(m, s, a, t), (p.name, s, a, t)
        if not isinstance(t, Rejected):
            assert all(p.predicate(m, t) for p in always), (s, a, t)
            s = t
        trail.append(fingerprint(s))
    s = first
    for i, c in enumerate(choices[:len(trail)]):
        acts = list(m.actions(s))
        t = _step(m, s, acts[c % len(acts)])
        if not isinstance(t, Rejected):
            s = t
        assert fingerprint(s) == trail[i]
