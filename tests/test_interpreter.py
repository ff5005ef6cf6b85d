"""The machines as an interpreter: Hypothesis-driven runs, purity, and Polkadot scale."""

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from paraspec.checker.registry import build, properties_of
from paraspec.model.availability import EndBlock, SignBitfield, Status
from paraspec.model.core import Rejected
from paraspec.model.inclusion import Block, Collate, Outcome, Second, Stage, Valid
from paraspec.properties.core import Kind


def _walk(machine_name, preset, choices, overrides=None):
    """Run a walk picking actions by index from `choices`; check every property on the way."""
    m = build(machine_name, preset, overrides=overrides)
    props = properties_of(machine_name)
    inv = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
    s = next(iter(m.init()))
    for c in choices:
        acts = list(m.actions(s))
        a = acts[c % len(acts)]
        try:
            t = m.step(s, a)
        except Rejected as r:
            t = r
        for p in trans:
            if not p.on or isinstance(a, p.on):
                assert p.predicate(m, s, a, t), (p.name, s, a, t)
        if isinstance(t, Rejected):
            # a rejected input changes nothing, and the same input is rejected again by the same rule
            with pytest.raises(Rejected) as again:
                m.step(s, a)
            assert again.value.rule_id == t.rule_id
            continue
        assert m.step(s, a) == t  # deterministic
        s = t
        for p in inv:
            assert p.predicate(m, s), (p.name, s)
    return s


@given(st.lists(st.integers(0, 10_000), max_size=120), st.sampled_from(["tiny", "trio", "small"]))
def test_availability_random_runs_keep_every_property(choices, preset):
    _walk("availability", preset, choices)


@given(st.lists(st.integers(0, 10_000), max_size=120), st.sampled_from(["tiny", "trio"]),
       st.sampled_from(["majority", "two_thirds", "sdk"]))
def test_inclusion_random_runs_keep_every_property(choices, preset, backing):
    _walk("inclusion", preset, choices, {"backing_threshold": backing, "max_candidates": 3})


class InclusionRun(RuleBasedStateMachine):
    """Drive the inclusion machine by protocol-level moves, holding one immutable state."""

    @initialize(preset=st.sampled_from(["tiny", "small"]))
    def start(self, preset):
        self.m = build("inclusion", preset, overrides={"max_candidates": 50})
        self.s = next(iter(self.m.init()))

    def _try(self, a):
        try:
            self.s = self.m.step(self.s, a)
        except Rejected:
            pass

    @rule(para=st.integers(0, 1))
    def collate_and_back(self, para):
        self._try(Collate(para))
        for v in self.m.group_of(para):
            self._try(Second(para, v) if self.s.paras[para].stage == Stage.CANDIDATE else Valid(para, v))

    @rule(voters=st.sets(st.integers(0, 4)), bits=st.integers(0, 3))
    def bitfields(self, voters, bits):
        for v in sorted(voters):
            if v < self.m.config.n_validators:
                self._try(SignBitfield(v, bits, len(self.s.cores), v))

    @rule(backed=st.integers(0, 3))
    def block(self, backed):
        self._try(Block(backed))

    @invariant()
    def properties_hold(self):
        for p in properties_of("inclusion"):
            if p.kind == Kind.ALWAYS:
                assert p.predicate(self.m, self.s), p.name


TestInclusionRun = InclusionRun.TestCase
TestInclusionRun.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)


@pytest.mark.parametrize("voters,enacted", [(666, False), (667, True)])
def test_polkadot_scale_block(voters, enacted):
    """1000 validators, 100 cores: 667 bits (more than 2/3) enact a candidate, 666 do not."""
    m = build("inclusion", "polkadot")
    s = next(iter(m.init()))
    n = m.config.n_parachains
    # every para gets a backed candidate
    for p in range(n):
        s = m.step(s, Collate(p))
        group = m.group_of(p)
        s = m.step(s, Second(p, group[0]))
        for v in group[1:]:
            if s.paras[p].stage != Stage.BACKABLE:
                s = m.step(s, Valid(p, v))
    s = m.step(s, Block((1 << n) - 1))
    assert all(c is not None for c in s.cores)
    full = (1 << n) - 1
    for v in range(voters):
        s = m.step(s, SignBitfield(v, full, n, v))
    s = m.step(s, Block(0))
    exits = sum(s.exits)
    assert exits == (n if enacted else 0)
    if enacted:
        assert set(s.last_exit) == {int(Outcome.INCLUDED)} and all(c is None for c in s.cores)


def test_availability_status_sequence():
    """A candidate noted, voted by 3 of 4 validators, is available at the next block end, then cleared."""
    m = build("availability", "tiny")
    s = next(iter(m.init()))
    s = m.step(s, EndBlock(0b01))
    assert s.paras[0].status == Status.TO_BE_DETERMINED
    for v in range(3):
        s = m.step(s, SignBitfield(v, 0b01, 2, v))
    s = m.step(s, EndBlock(0))
    assert s.paras[0].status == Status.AVAILABLE and s.paras[0].enacted == 1
    s = m.step(s, EndBlock(0))
    assert s.paras[0] == attrs.evolve(s.paras[0], status=Status.NO_CANDIDATE, votes=0)
