"""The composed runtime explored exhaustively at the tiny preset.

Pinned state count, every property's verdict (including the cross-module ones), every
mutant killed, and the spine's rules reused (one implementation of every rule).
"""

from __future__ import annotations

import inspect

import pytest

from checker.explicit import Checker, Verdict
from checker.registry import build, load_all, properties_of
from model.runtime import inclusion as rt_inclusion
from model.runtime import scheduler as rt_scheduler
from properties.core import mutants_for

load_all()

PINNED_STATES = 19975

_R = {}


def result():
    if "r" not in _R:
        _R["r"] = Checker(build("runtime", "tiny")).with_properties(properties_of("runtime")).run()
    return _R["r"]


def test_runtime_state_count_pinned():
    r = result()
    assert r.error is None, r.error and r.error.detail
    assert r.complete and r.depth == 5
    assert r.states == PINNED_STATES


def test_runtime_properties_pass_and_are_exercised():
    r = result()
    bad = {p.property.name: p.verdict for p in r.properties if p.verdict not in (Verdict.HOLDS, Verdict.WITNESSED)}
    assert bad == {}
    assert all(p.witnessed > 0 for p in r.properties)


def test_runtime_rejections_cover_every_block_rule():
    r = result()
    for rule in ("INI-3", "INC-29", "AV-1", "AV-2", "AV-3", "AV-4", "INC-3", "INC-4", "INC-23", "INC-24", "INC-25"):
        assert r.rejections.get(rule, 0) > 0, rule


MUTANTS = [mu.name for mu in mutants_for("runtime")]


@pytest.mark.parametrize("mutant", MUTANTS)
def test_runtime_mutant_killed(mutant):
    mu = next(x for x in mutants_for("runtime") if x.name == mutant)
    props = [p for p in properties_of("runtime") if p.name in mu.kills]
    r = Checker(build("runtime", None, mutant=mutant)).with_properties(props).with_stop_on_violation(mu.kills).run()
    assert r.error is None, r.error and r.error.detail
    assert {p.property.name: p.verdict for p in r.properties} == {k: Verdict.VIOLATED for k in mu.kills}


def test_every_runtime_property_is_killed_by_a_mutant():
    killed = {k for mu in mutants_for("runtime") for k in mu.kills}
    safety = {p.name for p in properties_of("runtime") if p.kind.value in ("always", "transition")}
    assert safety <= killed, safety - killed


def test_spine_rules_are_reused_not_rewritten():
    """The runtime's inclusion calls the spine's functions for AV-1..AV-5, INC-7, INC-8
    and the backing threshold; the scheduler uses model.groups."""
    src = inspect.getsource(rt_inclusion)
    for name in ("check_bitfield(", "is_bitfield_counted(", "is_candidate_available(", "is_backable("):
        assert name in src, name
    assert "is_more_than_two_thirds" not in src and "3 *" not in src
    ssrc = inspect.getsource(rt_scheduler)
    assert "partition(" in ssrc and "group_of_core(" in ssrc and "is_candidate_timed_out(" in ssrc
