"""Proofs over bit-vectors as wide as the masks (``checker/symbolic/wide.py``, issue 15 item 4).

The wide encoding is the machine's own dual-use guards and effects run on Z3 terms. These
tests tie it to the model: on every state reachable at a small bound, each action's encoded
acceptance and next state, evaluated at that state, equal ``Machine.step``; every property
proves at a validator count past the executor's 16-bit width; no mutant's killed safety
property is ever proved; and ``paraspec prove`` states the N and the width it proved for.
"""

from __future__ import annotations

import json

import pytest
import z3

from paraspec.checker.cli import main
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.symbolic import wide
from paraspec.checker.symbolic.crosscheck import reachable_states
from paraspec.model.core import Rejected
from paraspec.properties.core import MUTANTS, Kind

load_all()


@pytest.fixture(autouse=True)
def _quick_split(monkeypatch):
    # split a symbolic-validator template into its instances at once (the same verdicts,
    # reached without waiting on the solver)
    monkeypatch.setattr(wide, "SPLIT_AFTER_S", 0.05)


def _value(term, subst):
    if not isinstance(term, z3.ExprRef):  # an effect may write a plain constant
        return term if isinstance(term, bool) else int(term)
    v = z3.simplify(z3.substitute(term, *subst))
    if z3.is_true(v) or z3.is_false(v):
        return z3.is_true(v)
    return v.as_signed_long()


@pytest.mark.parametrize("symbolic", [False, True])
def test_encoding_equals_the_model_on_every_reachable_state(symbolic):
    m = build("avail_core", "trio", overrides={"n_cores": 1, "timeout": 2, "cap": 1})
    enc = wide.WideEncoding(m)
    x = enc.state("x")
    states = reachable_states(m)
    assert len(states) > 20
    steps = []
    for tpl in enc.templates:
        acts = [(tpl.action, a) for a in tpl.instances] if symbolic else [(a, a) for a in tpl.instances]
        for enc_a, a in acts:
            acc, nxt = enc.step(x, enc_a)
            steps.append((enc_a, a, acc, nxt))
    checked = 0
    for s in states:
        base = [(v, z3.BitVecVal(int(c), enc.width)) for f in enc.fields for v, c in zip(getattr(x, f), getattr(s, f))]
        for enc_a, a, acc, nxt in steps:
            subst = list(base)
            if enc_a is not a:  # the template's validator variable takes the instance's value
                for f in ("validator",):
                    sym = getattr(enc_a, f)
                    subst.append((sym, z3.BitVecVal(getattr(a, f), enc.width)))
            try:
                want = m.step(s, a)
            except Rejected:
                want = None
            assert _value(acc, subst) is (want is not None), (s, a)
            if want is not None:
                got = {f: tuple(_value(e, subst) for e in getattr(nxt, f)) for f in enc.fields}
                assert got == {f: tuple(getattr(want, f)) for f in enc.fields}, (s, a)
            checked += 1
    assert checked == len(states) * sum(len(t.instances) for t in enc.templates)


def test_every_safety_property_proved_past_the_executor_width():
    m = build("avail_core", "tiny", overrides={"n_validators": 20})
    props = properties_of("avail_core")
    verdicts, summary = wide.prove_wide(m, props, timeout=600)
    assert summary["width_bits"] == 22
    names = {p.name for p in props if p.kind in (Kind.ALWAYS, Kind.TRANSITION)}
    assert names <= set(verdicts)
    assert {k: v.status for k, v in verdicts.items()} == {k: "proved" for k in verdicts}


@pytest.mark.parametrize("mu", [mu for mu in MUTANTS.values() if mu.machine == "avail_core"], ids=lambda mu: mu.name)
def test_no_mutant_property_is_proved(mu):
    m = build("avail_core", None, mu.name)
    props = properties_of("avail_core")
    safety = [k for k in mu.kills if next(p for p in props if p.name == k).kind in (Kind.ALWAYS, Kind.TRANSITION)]
    if not safety:
        pytest.skip("kills only a liveness property")
    verdicts, _ = wide.prove_wide(m, props, timeout=600)
    assert all(verdicts[k].status != "proved" for k in safety), {k: str(verdicts[k]) for k in safety}


def test_prove_command_states_n_and_width(capsys, tmp_path):
    out = tmp_path / "r.json"
    code = main(["prove", "avail_core", "--set", "n_validators=24", "--timeout", "600", "--json", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "n_validators=24" in text and "over 26-bit vectors" in text
    run = json.loads(out.read_text())["runs"][0]
    assert run["parameters"]["n_validators"] == 24 and run["encoding"]["width_bits"] == 26


def test_a_machine_without_dual_use_rules_has_no_wide_encoding():
    """``inclusion`` has no dual-use rules."""
    m = build("inclusion", "tiny")
    assert not wide.wide_applicable(m)
    verdicts, _ = wide.prove_wide(m, properties_of("inclusion"), timeout=10)
    assert verdicts and all(v.status == "unknown" and "no wide encoding" in v.reason for v in verdicts.values())


# -- availability: a tuple of records (its paras), validators symbolic in the bitfield templates ------


def _flat(enc, s):
    return [v for _, v in enc.leaves(s)]


@pytest.mark.parametrize("bv_count", [False, True])
def test_availability_encoding_equals_the_model_on_every_reachable_state(bv_count):
    """Each template (a bitfield's validator and signer one symbolic variable), at each of its
    instances, and each concrete action: the encoded acceptance and next state, evaluated at
    every state reachable at a small bound, equal ``Machine.step`` (both vote-count encodings)."""
    m = build("availability", "tiny", overrides={"n_validators": 3, "chain_availability_period": 2,
                                                 "max_candidates": 1})
    enc = wide.WideEncoding(m)
    assert wide.wide_applicable(m)
    x = enc.state("x")
    states = reachable_states(m, 3)
    assert len(states) > 20
    steps = []
    for tpl in enc.templates:
        acc, nxt = enc.step(x, tpl.action, bv_count)
        var = getattr(tpl.action, "validator", None)
        for a in tpl.instances:
            extra = [] if tpl.action is a else [(var, z3.BitVecVal(a.validator, enc.width))]
            steps.append((a, acc, nxt, extra))
    assert any(len(t.instances) == 3 for t in enc.templates)  # one template for 3 validators
    checked = 0
    for s in states:
        base = [(v, z3.BitVecVal(int(c), enc.width)) for v, c in zip(_flat(enc, x), _flat(enc, s))]
        offered = set(m.actions(s))  # the encoding's acceptance includes the search's choice of inputs
        for a, acc, nxt, extra in steps:
            subst = base + extra
            try:
                want = m.step(s, a) if a in offered else None
            except Rejected:
                want = None
            if want is None:
                assert _value(acc, subst) is False, (s, a)
                continue
            assert _value(acc, subst) is True, (s, a)
            assert [_value(e, subst) for e in _flat(enc, nxt)] == [int(v) for v in _flat(enc, want)], (s, a)
            checked += 1
    assert checked > 50


def test_availability_every_safety_property_proved_past_the_executor_width():
    m = build("availability", "tiny", overrides={"n_validators": 20})
    props = properties_of("availability")
    verdicts, summary = wide.prove_wide(m, props, timeout=600)
    assert summary["width_bits"] == 22
    names = {p.name for p in props if p.kind in (Kind.ALWAYS, Kind.TRANSITION)}
    assert names | {"domain", "serials_consistent"} == set(verdicts)
    assert {k: v.status for k, v in verdicts.items()} == {k: "proved" for k in verdicts}


@pytest.mark.parametrize("mu", [mu for mu in MUTANTS.values() if mu.machine == "availability"],
                         ids=lambda mu: mu.name)
def test_no_availability_mutant_property_is_proved(mu):
    """The route can fail: at N = 18, past the executor's width (and a multiple of 3, so ``>=``
    and ``>`` differ at 2/3), no property a mutant breaks is proved for it (the same prover that
    proves all of them for the machine)."""
    m = build("availability", "tiny", mu.name, overrides={"n_validators": 18})
    props = properties_of("availability")
    safety = [k for k in mu.kills if next(p for p in props if p.name == k).kind in (Kind.ALWAYS, Kind.TRANSITION)]
    verdicts, _ = wide.prove_wide(m, props, timeout=600)
    assert safety and all(verdicts[k].status != "proved" for k in safety), {k: str(verdicts[k]) for k in safety}


def test_prove_command_takes_availability_past_the_width_by_the_wide_route(capsys, tmp_path):
    out = tmp_path / "r.json"
    code = main(["prove", "availability", "--set", "n_validators=20", "--timeout", "600", "--json", str(out)])
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0, text
    assert "n_validators=20" in text and "over 22-bit vectors" in text
    run = json.loads(out.read_text())["runs"][0]
    assert run["encoding"]["route"] == "wide" and run["parameters"]["n_validators"] == 20


def test_a_selected_transition_property_is_proved_with_the_machine_invariants(capsys, tmp_path):
    """``--property`` picks one transition property; the invariants it needs (the age bound
    of ``no_candidate_past_timeout``) still strengthen the induction, without rows of their own."""
    out = tmp_path / "r.json"
    code = main(["prove", "avail_core", "--property", "timeout_exactly_at_period", "--timeout", "600",
                 "-q", "--json", str(out)])
    items = json.loads(out.read_text())["items"]
    assert code == 0, items
    assert [i["name"] for i in items if i["kind"] == "transition"] == ["avail_core.timeout_exactly_at_period"]
    assert "no_candidate_past_timeout" in items[-1]["verdict"]["strengthened_by"]
    code = main(["prove", "avail_core", "--property", "timeout_exactly_at_period", "--no-strengthening",
                 "--timeout", "600", "-q", "--json", str(out)])
    assert code == 1  # without the age bound the step from an unreachable age fails: no verdict


@pytest.mark.parametrize("preset", ["tiny", "trio"])
def test_availability_action_space_size_counts_its_action_space(preset):
    # the wide encoding refuses a machine by this count before building the space (at polkadot,
    # 2**100 bitfields per validator): the count must be the space's length where it can be built
    m = build("availability", preset)
    assert m.action_space_size() == len(m.action_space())


def test_wide_encoding_refuses_an_action_space_past_its_bound():
    m = build("availability", "polkadot")
    assert m.action_space_size() > wide.MAX_WIDE_ACTIONS
    with pytest.raises(wide.NoWideEncoding, match="does not fit the wide encoding"):
        wide.WideEncoding(m)
