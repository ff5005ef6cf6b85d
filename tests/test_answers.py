"""``Machine.answer``: what a step reports besides its next state, as vectors record it."""

from __future__ import annotations

import json

import pytest

from paraspec.checker.codec import encode
from paraspec.checker.registry import build, load_all, machine_names
from paraspec.model.core import Machine, Rejected

load_all()


def _accepted_steps(m, limit=400):
    """(state, action, next) for the accepted steps of a bounded breadth-first walk."""
    seen, frontier, out = set(), list(m.init()), []
    while frontier and len(out) < limit:
        nxt = []
        for s in frontier:
            for a in m.actions(s):
                try:
                    t = m.step(s, a)
                except Rejected:
                    continue
                out.append((s, a, t))
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return out[:limit]


@pytest.mark.parametrize("machine", machine_names())
def test_answers_are_json_values(machine):
    m = build(machine, "tiny")
    steps = _accepted_steps(m)
    assert steps
    for s, a, t in steps:
        json.dumps(encode(m.answer(s, a, t)))  # raises on a value the vector format cannot carry


def test_machines_that_report_something():
    reporting = {name for name in machine_names() if type(build(name, "tiny")).answer is not Machine.answer}
    assert reporting == {"halts", "paras", "rollback", "scheduler", "upgrades"}


def test_scheduler_reports_the_rotation_of_spec_sch_4():
    """The group of core c at block `now` is (c + k) mod n, k rotations since the session start."""
    m = build("scheduler", "tiny")
    for s, a, t in _accepted_steps(m):
        ss = t.scheduler
        n = len(ss.groups)
        k = (t.now - ss.session_start) // m.cfg.group_rotation_frequency
        assert m.answer(s, a, t) == {"group_of_core": [(c + k) % n for c in range(len(ss.cores))]}


def test_upgrade_event_only_for_blocks():
    from paraspec.model.upgrades import Block

    m = build("upgrades", "tiny")
    steps = _accepted_steps(m, 2000)
    assert any(m.answer(s, a, t) is not None for s, a, t in steps)
    for s, a, t in steps:
        ans = m.answer(s, a, t)
        if not isinstance(a, Block):
            assert ans is None
        elif ans is not None:
            assert ans.blocks_to_go >= 1 and ans.counter == t.upgrade.counter
