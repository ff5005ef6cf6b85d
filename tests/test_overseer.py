"""The ``overseer`` machine (spec/overseer.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import UsageError, build, load_all
from paraspec.model.overseer import Deliver, Finalize, Import, Signal
from paraspec.properties.core import properties_for
from tests.walks import check_walk

load_all()

MACHINE = "overseer"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)


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
    check_walk(m, properties_for(MACHINE), choices)


def test_every_subsystem_gets_the_signals():
    """With a third subsystem every signal is queued to it too; it needs A and B."""
    m = build(MACHINE, "tiny", overrides={"n_subsystems": 3})
    s = m.step(next(iter(m.init())), Import(1))
    assert len(s.inbox) == 3 and s.inbox[2] == s.inbox[0] == s.inbox[1]
    with pytest.raises(UsageError, match="n_subsystems"):
        build(MACHINE, "tiny", overrides={"n_subsystems": 1})
