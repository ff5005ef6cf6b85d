"""[RESCUE]: the ``rescue`` machine, its thresholds, mutants and playbooks."""

import attrs
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import UsageError, build, load_all, properties_of
from paraspec.checker.interp.engine import failure_lines
from paraspec.checker.scenario import load, scenario_files
from paraspec.model.config import ConfigError
from paraspec.model.core import Rejected
from paraspec.model.rescue import (
    RESCUE_PRESETS,
    Authority,
    Code,
    EnactRescue,
    OptIn,
    OwnUpgrade,
    ParaBlock,
    RescueMachine,
    Tick,
    Vote,
)
from paraspec.model.resilience import is_collator_threshold_met, is_para_stalled, is_token_threshold_met
from paraspec.properties.core import Kind
from tests.walks import run_actions

load_all()


# -- thresholds -------------------------------------------------------------------------------------


def test_thresholds():
    # 3/4 of 4 collators: 3 votes; of 3 collators: 3 votes (9/4 rounds up)
    assert is_collator_threshold_met(3, 4) and not is_collator_threshold_met(2, 4)
    assert is_collator_threshold_met(3, 3) and not is_collator_threshold_met(2, 3)
    assert not is_collator_threshold_met(0, 0)
    # more than half of 10 weight units: 6
    assert is_token_threshold_met(6, 10) and not is_token_threshold_met(5, 10)
    # more than X minutes
    assert is_para_stalled(61, 60) and not is_para_stalled(60, 60)


def test_z3_collator_threshold_is_ceiling_of_three_quarters():
    v, n = z3.Ints("v n")
    s = z3.Solver()
    s.add(n >= 1, v >= 0, v <= n)
    s.add(is_collator_threshold_met(v, n) != (v >= (3 * n + 3) / 4))
    assert s.check() == z3.unsat


def test_z3_two_rescue_votes_cannot_both_pass_with_disjoint_majorities():
    """Two disjoint groups of token-holder votes cannot both pass (a rescue vote is not
    split-brained)."""
    a, b, n = z3.Ints("a b n")
    s = z3.Solver()
    s.add(n >= 1, a >= 0, b >= 0, a + b <= n, is_token_threshold_met(a, n), is_token_threshold_met(b, n))
    assert s.check() == z3.unsat


# -- playbooks and configuration -----------------------------------------------------------------------


RESCUE_SCENARIOS = scenario_files("rescue_")


@pytest.mark.parametrize("path", RESCUE_SCENARIOS, ids=[p.stem for p in RESCUE_SCENARIOS])
def test_playbook(path):
    sc = load(path)
    assert sc.machine.config == RESCUE_PRESETS["seed"]
    run = sc.run()
    assert run.ok, run.failures


def test_presets():
    assert build("rescue", "seed").params.stall_minutes == 60
    assert build("rescue", "tiny").params.n_paras == 1
    with pytest.raises(UsageError, match="its presets: tiny, small, seed"):
        build("rescue", "trio")


@pytest.mark.parametrize("field,value", [("n_paras", 0), ("stall_minutes", -1), ("collators", 0),
                                         ("token_holders", True)])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ConfigError) as e:
        attrs.evolve(RESCUE_PRESETS["seed"], **{field: value}).validate()
    assert e.value.field == field


# -- the interpreter -------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 200), st.sampled_from([Authority.COLLATORS, Authority.TOKEN_HOLDERS]),
       st.integers(0, 10))
def test_rescue_exactly_when_stalled_and_threshold_met(minutes, authority, voters):
    m = RescueMachine(RESCUE_PRESETS["seed"])
    c = m.config
    voters = min(voters, c.electorate(authority))
    steps = [OptIn(0, authority, 0), OwnUpgrade(0, Code.BROKEN, 0)]
    steps += [(Tick(), None, minutes)] * (minutes > 0) + [Vote(0, v) for v in range(voters)]
    run = run_actions("rescue", "seed", steps)
    assert run.plan.machine.config == c
    assert run.ok, failure_lines(run)
    s = run.states[-1]
    try:
        t = m.step(s, EnactRescue(0))
    except Rejected as r:
        t = r
    n = c.electorate(authority)
    met = 4 * voters >= 3 * n if authority == Authority.COLLATORS else 2 * voters > n
    assert (not isinstance(t, Rejected)) == (minutes > c.stall_minutes and met)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["tiny", "small", "seed"]), st.lists(st.integers(0, 10_000), max_size=80))
def test_random_walks_keep_every_safety_property(preset, choices):
    m = build("rescue", preset)
    props = properties_of("rescue")
    s = next(iter(m.init()))
    for c in choices:
        acts = list(m.actions(s))
        a = acts[c % len(acts)]
        try:
            t = m.step(s, a)
        except Rejected as r:
            t = r
        for p in props:
            if p.kind == Kind.TRANSITION and (not p.on or isinstance(a, p.on)):
                assert p.predicate(m, s, a, t), (p.name, s, a, t)
        if isinstance(t, Rejected):
            assert t.rule_id.startswith("RSC-")
            continue
        for p in props:
            if p.kind == Kind.ALWAYS:
                assert p.predicate(m, t), (p.name, t)
        s = t


def test_para_block_after_rescue_needs_working_code():
    run = run_actions("rescue", "seed", [OwnUpgrade(0, Code.VOID, 0), (ParaBlock(0), "RSC-10")])
    assert run.plan.machine.config == RESCUE_PRESETS["seed"]
    assert run.ok, failure_lines(run)
