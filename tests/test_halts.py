"""[HALT]: the ``halts`` and ``rollback`` machines, their arithmetic, mutants and playbooks."""

import json

import attrs
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import UsageError, build, load_all, properties_of
from paraspec.checker.scenario import load, main as scenario_main, scenario_files
from paraspec.model.config import ConfigError
from paraspec.model.core import Rejected
from paraspec.model.halts import (
    HALT_PRESETS,
    SEED_ROUND_SECONDS,
    ROLLBACK_PRESETS,
    HaltsMachine,
    Mode,
    Offence,
    Phase,
    RollbackMachine,
    Round,
    Wait,
)
from paraspec.model.resilience import (
    compute_finality_floor,
    derive_committee_size,
    emergency_timer_after,
    is_emergency_expired,
    is_multisig_approved,
    is_within_rollback_window,
)
from paraspec.model.thresholds import byzantine_threshold, halt_quorum, has_halt_quorum, supermajority_threshold
from paraspec.properties.core import Kind
from tests.walks import run_actions

load_all()


def test_liveness_of_soft_stall_is_declared():
    names = {p.name: p for p in properties_of("halts")}
    assert names["soft_stall_resumes_on_its_own"].kind == Kind.LEADS_TO
    # its checked safety approximation
    assert names["soft_stall_resumes_when_quorum_returns"].kind == Kind.TRANSITION


# -- the arithmetic, with the seed's numbers, and symbolically -----------------------------------


def test_derived_committee_size():
    n = derive_committee_size(85, 43)
    assert n == 127 == HALT_PRESETS["seed"].committee
    assert halt_quorum(n) == 85 == supermajority_threshold(n) == 2 * byzantine_threshold(n) + 1
    assert byzantine_threshold(n) == 42
    assert has_halt_quorum(n - 42, n) and not has_halt_quorum(n - 43, n)
    # with 128 members the BFT quorum n - f is 86, not the Pyde book's 85 (HLT-D1); 2f + 1 = 85 would let two
    # quorums of 128 share only 42 = f members, so the model keeps n - f
    assert byzantine_threshold(128) == 42 and halt_quorum(128) == 86 and not has_halt_quorum(128 - 43, 128)


def test_seed_figures():
    c = HALT_PRESETS["seed"]
    assert (c.multisig_threshold, c.multisig_size) == (7, 12)
    assert c.emergency_limit * SEED_ROUND_SECONDS == 30 * 24 * 3600
    assert c.epoch_length * SEED_ROUND_SECONDS == 3 * 3600
    assert c.escalation_rounds * SEED_ROUND_SECONDS == 3600
    assert (c.stall_rounds, c.equivocation_cluster, c.dkg_failure_limit) == (5, 10, 3)
    assert is_multisig_approved(7, 7, 12) and not is_multisig_approved(6, 7, 12)
    assert not is_multisig_approved(13, 7, 12)


def _prove(claim):
    s = z3.Solver()
    s.add(z3.Not(claim))
    assert s.check() == z3.unsat, s.model()


def test_z3_stall_iff_more_than_f_offline():
    """For n = 3f + 1, k members offline lose the quorum exactly when k > f (HLT-3, HLT-D1)."""
    f, k = z3.Ints("f k")
    n = 3 * f + 1
    _prove(z3.Implies(z3.And(f >= 0, k >= 0, k <= n),
                      (n - k < halt_quorum(n)) == (k > f)))


def test_z3_emergency_timer_never_passes_limit():
    t, r, lim = z3.Ints("t r lim")
    after = emergency_timer_after(t, r, lim)
    _prove(z3.Implies(z3.And(lim >= 1, t >= 0, t < lim, r >= 1),
                      z3.And(after <= lim, z3.Implies(is_emergency_expired(after, lim), after == lim))))


def test_z3_window_is_at_most_one_epoch():
    """A target in the window is at most one epoch below the tip, once the floor has seen the tip."""
    floor, h, e, target = z3.Ints("floor h e target")
    fl = compute_finality_floor(floor, h, e)
    _prove(z3.Implies(z3.And(e >= 1, h >= 0, floor >= 0, is_within_rollback_window(target, fl, h)),
                      z3.And(h - target <= e, h - target >= 1)))


# -- playbooks ------------------------------------------------------------------------------------


HALT_SCENARIOS = scenario_files("halts_")


def test_all_playbooks_present():
    names = {p.stem for p in HALT_SCENARIOS}
    assert {"halts_A", "halts_B", "halts_C", "halts_D", "halts_E"} <= names


@pytest.mark.parametrize("path", HALT_SCENARIOS, ids=[p.stem for p in HALT_SCENARIOS])
def test_playbook(path):
    sc = load(path)
    assert sc.machine.config.committee == 127  # the seed's numbers
    run = sc.run()
    assert run.ok, run.failures
    assert sc.expect, "a playbook states its end state"


def test_playbook_catches_a_wrong_expectation(tmp_path):
    raw = json.loads((scenario_files("halts_A")[0]).read_text())
    raw["expect"]["height"] = 4
    p = tmp_path / "a.json"
    p.write_text(json.dumps(raw))
    run = load(p).run()
    assert not run.ok and any("height" in f for f in run.failures)
    assert scenario_main([str(p), "-q"]) == 1


def test_playbook_catches_a_missing_rejection():
    from paraspec.checker.interp.engine import failure_lines
    from paraspec.model.halts import Resume

    run = run_actions("halts", "seed", [(Resume(7), "HLT-13")])
    assert run.plan.machine.config == HALT_PRESETS["seed"]
    assert run.ok, failure_lines(run)
    run = run_actions("halts", "seed", [(Round(), "HLT-8")])
    assert not run.ok and failure_lines(run)[0] == "step 0 (Round): expected rejected by HLT-8, actual accepted"


@pytest.mark.parametrize("content,needle", [
    ("{", "not JSON"),
    ("[]", "expected a JSON object"),
    ('{"name": "x", "machine": "nope", "steps": []}', "machine"),
    ('{"name": "x", "machine": "halts", "steps": [{"action": "Fly"}]}', "steps[0]"),
    ('{"name": "x", "machine": "halts", "steps": [{"action": "SubmitTx", "args": {"tx": "a"}}]}', "args.tx"),
    ('{"name": "x", "machine": "halts", "steps": [{"action": "Round", "repeat": 0}]}', "repeat"),
    ('{"name": "x", "machine": "halts", "steps": [], "expect": {"colour": 1}}', "expect.colour"),
    ('{"name": "x", "machine": "halts", "config": "huge", "steps": []}', "config"),
])
def test_malformed_playbook_is_one_line(tmp_path, capsys, content, needle):
    p = tmp_path / "bad.json"
    p.write_text(content)
    assert scenario_main([str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(p) in err and needle in err, err


# -- configuration ----------------------------------------------------------------------------------


def test_presets_are_the_machines_own():
    assert build("halts", "seed").params.committee == 127
    assert build("halts").params == HALT_PRESETS["tiny"]
    assert build("rollback").params.n_txs == ROLLBACK_PRESETS["tiny"].n_txs
    for host_only in ("trio", "polkadot"):  # a host preset is not remapped onto the halts presets
        with pytest.raises(UsageError, match="its presets: tiny, small, seed"):
            build("halts", host_only)


@pytest.mark.parametrize("field,value", [("committee", 0), ("multisig_threshold", 13), ("equivocation_cluster", 5),
                                         ("epoch_length", "3"), ("n_txs", -1)])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ConfigError) as e:
        attrs.evolve(HALT_PRESETS["tiny"], **{field: value}).validate()
    assert e.value.field == field


# -- the interpreter under random walks ------------------------------------------------------------


def _walk(m, choices):
    props = properties_of(m.name)
    invariants = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
    s = next(iter(m.init()))
    trace = [s]
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
            continue
        for p in invariants:
            assert p.predicate(m, t), (p.name, t)
        s = t
        trace.append(s)
    return trace


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["halts", "rollback"]), st.sampled_from(["small", "seed"]),
       st.lists(st.integers(0, 10_000), max_size=60))
def test_random_walks_keep_every_safety_property(machine, preset, choices):
    m = build(machine, preset)
    trace = _walk(m, choices)
    # the interpreter is deterministic: replaying the walk gives the same states
    assert _walk(m, choices) == trace


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10_000), max_size=30), st.integers(1, 6))
def test_wait_is_repeated_rounds(choices, k):
    """``Wait(k)`` in a hard or emergency halt is the same as k rounds (HLT-6)."""
    m = build("halts", "small")
    s = _walk(m, choices)[-1]
    if s.mode not in (Mode.HARD_HALT, Mode.EMERGENCY_HALT):
        with pytest.raises(Rejected):
            m.step(s, Wait(k))
        return
    if s.mode == Mode.EMERGENCY_HALT and k > m.config.emergency_limit - s.timer:
        with pytest.raises(Rejected) as e:
            m.step(s, Wait(k))
        assert e.value.rule_id == "HLT-6"
        return
    t = s
    for _ in range(k):
        t = m.step(t, Round())
    assert m.step(s, Wait(k)) == t


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 127), st.booleans())
def test_soft_stall_resumes_exactly_at_quorum_with_seed_numbers(active, connected):
    m = HaltsMachine(HALT_PRESETS["seed"])
    s = next(iter(m.init()))
    s = attrs.evolve(s, mode=Mode.SOFT_STALL, active=active, connected=connected)
    t = m.step(s, Round())
    assert (t.mode == Mode.RUNNING) == (connected and active >= 85)
    assert s.evidence == 0 and t.phase == Phase.NONE
    assert Offence.BAD_STATE_ROOT not in [Offence(i) for i in range(4) if (t.slashed >> i) & 1]
