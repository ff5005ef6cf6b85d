"""Seed 004: the ``poa`` machine, its block-period arithmetic, mutants and playbooks."""

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
from model.poa import POA_PRESETS, EndSession, PoaMachine, block_seconds
from model.resilience import min_seconds_for_blocks, min_slots_for_blocks, target_seconds_for_blocks
from properties.core import Kind, mutants_for

load_all()

#: pinned exhaustive figures (states, transitions, depth) per preset
PINNED = {"tiny": (1472, 30912, 12)}


@pytest.fixture(scope="module")
def tiny_run():
    return Checker(build("poa", "tiny")).with_properties(properties_of("poa")).run()


def test_pinned_state_count(tiny_run):
    r = tiny_run
    assert r.complete and r.error is None
    assert (r.states, r.transitions, r.depth) == PINNED["tiny"]


def test_every_property_verdict(tiny_run):
    for p in tiny_run.properties:
        if p.property.kind in (Kind.ALWAYS, Kind.TRANSITION):
            assert p.verdict == Verdict.HOLDS and p.witnessed > 0, (p.property.name, p.verdict)
        else:
            assert p.verdict == Verdict.WITNESSED, (p.property.name, p.verdict)
            assert len(p.trace) > 0, p.property.name  # not witnessed by the initial state alone


def _mutant_checker(m, props, kills):
    """Exhaustive search for the mutant's counterexamples, stopping once they are all found
    when the engine supports it."""
    c = Checker(m).with_properties(props).with_max_states(100_000)
    stop = getattr(c, "with_stop_on_violation", None)
    return stop(kills) if stop is not None else c


MUTANTS = [mu.name for mu in mutants_for("poa")]


@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_is_killed(mutant):
    mu = next(x for x in mutants_for("poa") if x.name == mutant)
    m = build("poa", None, mutant)
    props = [p for p in properties_of("poa") if p.name in mu.kills]
    r = _mutant_checker(m, props, mu.kills).run()
    assert r.error is None
    for p in r.properties:
        assert p.verdict == Verdict.VIOLATED, (mutant, p.property.name, p.verdict)
        for s, a, t in zip(p.trace.states, p.trace.actions, p.trace.states[1:]):
            assert m.step(s, a) == t


def test_every_property_has_a_killing_mutant():
    killed = {k for mu in mutants_for("poa") for k in mu.kills}
    assert {p.name for p in properties_of("poa") if p.kind in (Kind.ALWAYS, Kind.TRANSITION)} <= killed


# -- the block-period arithmetic ----------------------------------------------------------------------


def test_seed_block_period_figures():
    # 10 authorities, 6 s: 60 s for 10 blocks, at least 66 s with one offline, 72 s with two
    assert target_seconds_for_blocks(10, 6) == 60
    assert min_seconds_for_blocks(10, 10, 0, 6) == 60
    assert min_seconds_for_blocks(10, 10, 1, 6) == 66
    assert min_seconds_for_blocks(10, 10, 2, 6) == 72
    # after the offline one is removed: 9 authorities, 9 blocks in 9 slots
    assert min_seconds_for_blocks(9, 9, 0, 6) == target_seconds_for_blocks(9, 6) == 54
    assert block_seconds(0b1111111111, 0b0111111111, 6) == 66
    assert block_seconds(0b11, 0, 6) is None


def _brute_min_slots(blocks, n, k):
    """The least number of slots for ``blocks`` blocks over every rotation of the offline slots."""
    best = None
    for start in range(n):
        made, slots = 0, 0
        while made < blocks:
            if (start + slots) % n >= k:  # slots 0..k-1 of each cycle are the offline authorities'
                made += 1
            slots += 1
        best = slots if best is None else min(best, slots)
    return best


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.data())
def test_min_slots_matches_brute_force(n, data):
    k = data.draw(st.integers(0, n - 1))
    blocks = data.draw(st.integers(1, 3 * n))
    assert min_slots_for_blocks(blocks, n, k) == _brute_min_slots(blocks, n, k)


def test_z3_period_restored_and_degraded():
    """For every N and 0 < k < N: N blocks take at least N + k slots; with the k removed,
    N - k blocks take N - k slots (POA-9, POA-10)."""
    n, k = z3.Ints("n k")
    s = z3.Solver()
    s.add(n >= 2, k >= 1, k < n, n <= 64)
    s.add(z3.Not(z3.And(min_slots_for_blocks(n, n, k) >= n + k, min_slots_for_blocks(n - k, n - k, 0) == n - k)))
    assert s.check() == z3.unsat


# -- playbooks and configuration ----------------------------------------------------------------------


POA_SCENARIOS = scenario_files("poa_")


@pytest.mark.parametrize("path", POA_SCENARIOS, ids=[p.stem for p in POA_SCENARIOS])
def test_playbook(path):
    sc = load(path)
    assert sc.machine.config == POA_PRESETS["seed"]
    run = sc.run()
    assert run.ok, run.failures


def test_presets():
    assert PoaMachine(get_preset("polkadot")).config.initial == 10
    assert PoaMachine(get_preset("tiny")).config.n_accounts == 3


@pytest.mark.parametrize("field,value", [("initial", 13), ("min_validators", 0), ("min_validators", 11),
                                         ("slot_seconds", 0), ("n_accounts", "3")])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ConfigError) as e:
        attrs.evolve(POA_PRESETS["seed"], **{field: value}).validate()
    assert e.value.field == field


# -- random walks -----------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["tiny", "small", "polkadot"]), st.lists(st.integers(0, 10_000), max_size=60))
def test_random_walks_keep_every_safety_property(preset, choices):
    m = build("poa", preset)
    props = properties_of("poa")
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
            assert t.rule_id.startswith("POA-")
            continue
        for p in props:
            if p.kind == Kind.ALWAYS:
                assert p.predicate(m, t), (p.name, t)
        s = t
    # a session end is always accepted and hands the list to the session
    t = m.step(s, EndSession())
    assert t.active == t.validators and t.heartbeats == 0


# -- the rule-ID spine of spec/poa.md --------------------------------------------------------------


def test_rule_map_of_spec_poa():
    """Every POA rule is named by a property, every POA ID a property or a guard
    names is in spec/poa.md, and the rules cite their seed."""
    import re
    from pathlib import Path

    from properties.core import PROPERTIES

    root = Path(__file__).resolve().parent.parent
    text = (root / "spec" / "poa.md").read_text()
    line = re.compile(r"^\s*- \*\*(POA-D?\d+)\*\*(.*)$")
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
    named = {r for ps in PROPERTIES.values() for p in ps.values() for r in p.rules if r.startswith("POA-")}
    assert normative <= named, sorted(normative - named)
    assert named <= normative, sorted(named - normative)
    guard = re.compile(r"""(?:require\([^\n]*?,\s*|Rejected\()\s*["'](POA-\d+)["']""")
    used = {g for path in (root / "model").rglob("*.py") for g in guard.findall(path.read_text())}
    assert used and used <= normative, sorted(used - normative)
    assert all("seed" in rules[r] for r in normative), [r for r in normative if "seed" not in rules[r]]
