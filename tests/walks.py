"""Random walks of a machine, for the Hypothesis tests of the per-area suites."""

from __future__ import annotations

from paraspec.checker.fingerprint import fingerprint
from paraspec.model.core import Rejected
from paraspec.properties.core import Kind


def step_or_rejection(m, s, a):
    """``m.step(s, a)``, or the :class:`Rejected` it raises."""
    try:
        return m.step(s, a)
    except Rejected as r:
        return r


def check_walk(m, props, choices: list[int], accepted=None) -> list[int]:
    """Walk ``m`` from the initial state ``choices[0]`` picks, taking action
    ``choices[i] mod |actions|`` at step i, and assert on every step every transition
    property concerned and, after an accepted step, every invariant; then replay the
    same choices and assert the same fingerprints (the interpreter is deterministic).
    ``accepted(s, a, t)``, when given, is asserted on every accepted step. Returns the
    fingerprints of the states visited."""
    always = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
    inits = list(m.init())
    first = inits[choices[0] % len(inits)]
    assert all(p.predicate(m, first) for p in always), first
    s = first
    trail = []
    for c in choices[1:]:
        acts = list(m.actions(s))
        if not acts:
            break
        a = acts[c % len(acts)]
        t = step_or_rejection(m, s, a)
        for p in trans:
            if not p.on or isinstance(a, p.on):
                assert p.predicate(m, s, a, t), (p.name, s, a, t)
        if not isinstance(t, Rejected):
            assert all(p.predicate(m, t) for p in always), (s, a, t)
            assert accepted is None or accepted(s, a, t), (s, a, t)
            s = t
        trail.append(fingerprint(s))
    s = first
    for i, c in enumerate(choices[1:len(trail) + 1]):
        acts = list(m.actions(s))
        t = step_or_rejection(m, s, acts[c % len(acts)])
        if not isinstance(t, Rejected):
            s = t
        assert fingerprint(s) == trail[i]
    return trail


def run_actions(machine: str, preset: str, steps):
    """Run ``steps`` through the interpreter (``checker.interp``, as ``paraspec run``
    does) on ``machine`` built from ``preset``: each step is an action (accepted once),
    or a tuple ``(action, rejected_by[, repeat])`` (``rejected_by`` None: accepted).
    The steps are written as a scenario file's JSON and go through its validation.
    Returns the :class:`~paraspec.checker.interp.engine.RunResult`."""
    from paraspec.checker.codec import encode
    from paraspec.checker.interp.engine import run_plan
    from paraspec.checker.interp.plan import load_plan
    from paraspec.model.core import action_args, action_name

    doc = {"name": "test", "machine": machine, "config": preset, "steps": []}
    for step in steps:
        action, rejected_by, repeat = step, None, 1
        if isinstance(step, tuple):
            action, rejected_by, *more = step
            repeat = more[0] if more else 1
        item = {"action": action_name(action), "args": encode(action_args(action)), "repeat": repeat}
        if rejected_by is not None:
            item["rejected_by"] = rejected_by
        doc["steps"].append(item)
    return run_plan(load_plan("<test>", doc))
