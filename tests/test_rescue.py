"""Seed 000: the ``rescue`` machine, its thresholds, mutants and playbooks."""

import attrs
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.explicit import Checker, Verdict
from checker.registry import build, load_all, properties_of
from checker.scenario import load, scenario_files
from model.config import ConfigError, get_preset
from model.core import Rejected
from model.rescue import (
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
from model.resilience import is_collator_threshold_met, is_para_stalled, is_token_threshold_met
from model.scenario import Step, run_scenario
from properties.core import Kind, mutants_for

load_all()

PINNED = {"tiny": (510, 5187, 13)}


@pytest.fixture(scope="module")
def tiny_run():
    return Checker(build("rescue", "tiny")).with_properties(properties_of("rescue")).run()


def test_pinned_state_count(tiny_run):
    r = tiny_run
    assert r.complete and r.error is None
    assert (r.states, r.transitions, r.depth) == PINNED["tiny"]


def test_every_property_verdict(tiny_run):
    for p in tiny_run.properties:
        if p.property.kind in (Kind.ALWAYS, Kind.TRANSITION):
            assert p.verdict == Verdict.HOLDS and p.witnessed > 0, (p.property.name, p.verdict)
        else:
            assert p.verdict == Verdict.WITNESSED and len(p.trace) > 0, (p.property.name, p.verdict)


def _mutant_checker(m, props, kills):
    """Exhaustive search for the mutant's counterexamples, stopping once they are all found
    when the engine supports it."""
    c = Checker(m).with_properties(props).with_max_states(100_000)
    stop = getattr(c, "with_stop_on_violation", None)
    return stop(kills) if stop is not None else c


MUTANTS = [mu.name for mu in mutants_for("rescue")]


@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_is_killed(mutant):
    mu = next(x for x in mutants_for("rescue") if x.name == mutant)
    m = build("rescue", None, mutant)
    props = [p for p in properties_of("rescue") if p.name in mu.kills]
    r = _mutant_checker(m, props, mu.kills).run()
    assert r.error is None
    for p in r.properties:
        assert p.verdict == Verdict.VIOLATED, (mutant, p.property.name, p.verdict)
        for s, a, t in zip(p.trace.states, p.trace.actions, p.trace.states[1:]):
            assert m.step(s, a) == t


def test_every_property_has_a_killing_mutant():
    killed = {k for mu in mutants_for("rescue") for k in mu.kills}
    assert {p.name for p in properties_of("rescue") if p.kind in (Kind.ALWAYS, Kind.TRANSITION)} <= killed


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
    assert RescueMachine(get_preset("polkadot")).config.stall_minutes == 60
    assert RescueMachine(get_preset("trio")).config.n_paras == 1


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
    steps += [Tick()] * minutes + [Vote(0, v) for v in range(voters)]
    run = run_scenario(m, steps)
    assert run.ok, run.failures
    s = run.final
    try:
        t = m.step(s, EnactRescue(0))
    except Rejected as r:
        t = r
    n = c.electorate(authority)
    met = 4 * voters >= 3 * n if authority == Authority.COLLATORS else 2 * voters > n
    assert (not isinstance(t, Rejected)) == (minutes > c.stall_minutes and met)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["tiny", "small", "polkadot"]), st.lists(st.integers(0, 10_000), max_size=80))
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
    m = RescueMachine(RESCUE_PRESETS["seed"])
    run = run_scenario(m, [OwnUpgrade(0, Code.VOID, 0), Step(ParaBlock(0), rejected_by="RSC-10")])
    assert run.ok, run.failures


# -- the rule-ID spine of spec/rescue.md --------------------------------------------------------------


def test_rule_map_of_spec_rescue():
    """Every RSC rule is named by a property, every RSC ID a property or a guard
    names is in spec/rescue.md, and the rules cite their seed."""
    import re
    from pathlib import Path

    from properties.core import PROPERTIES

    root = Path(__file__).resolve().parent.parent
    text = (root / "spec" / "rescue.md").read_text()
    line = re.compile(r"^\s*- \*\*(RSC-D?\d+)\*\*(.*)$")
    rules, current = {}, None
    for ln in text.splitlines():
        m = line.match(ln)
        if m:
            current = m.group(1)
            rules[current] = m.group(2)
        elif current and ln.startswith("  ") and ln.strip():
            rules[current] += " " + ln.strip()  # the bullet continues
        else:
            current = None
    normative = {r for r in rules if "-D" not in r}
    assert len(normative) >= 10
    named = {r for ps in PROPERTIES.values() for p in ps.values() for r in p.rules if r.startswith("RSC-")}
    assert normative <= named, sorted(normative - named)
    assert named <= normative, sorted(named - normative)
    guard = re.compile(r"""(?:require\([^\n]*?,\s*|Rejected\()\s*["'](RSC-\d+)["']""")
    used = {g for path in (root / "model").rglob("*.py") for g in guard.findall(path.read_text())}
    assert used and used <= normative, sorted(used - normative)
    assert all("seed" in rules[r] for r in normative), [r for r in normative if "seed" not in rules[r]]
