"""k-induction, strengthening invariants, counting abstractions, and mutant counterexamples."""

import json

import pytest

from paraspec.checker import itf
from paraspec.checker.cli import main
from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.symbolic.bmc import Prover, prove_machine
from paraspec.checker.symbolic.counting import check_soundness
from paraspec.checker.symbolic.crosscheck import reachable_states
from paraspec.checker.symbolic.run import bmc_mutant, prove_machine_item
from paraspec.model.availability import Status
from paraspec.properties.core import MUTANTS

load_all()


def _aux(machine):
    return [(a.name, a.fn) for a in build(machine).auxiliary_invariants()]


# -- k-induction -----------------------------------------------------------------------------------------


def test_availability_proved_by_k_induction():
    m = build("availability", "trio")
    proof = prove_machine(m, properties_of("availability"), max_k=3, aux=_aux("availability"))
    v = proof.verdicts
    props = [p.name for p in properties_of("availability") if p.kind.value in ("always", "transition")]
    assert all(v[n].status == "proved" for n in props + ["domain", "no_model_error", "no_width"]), {
        n: str(x) for n, x in v.items()}
    assert all(v[n].k == 1 for n in props)
    # only this one needs the strengthening invariant, and says so
    needing = {n for n in props if v[n].strengthened_by}
    assert needing == {"timed_out_never_enacted"}
    assert v["timed_out_never_enacted"].strengthened_by == ("serials_consistent",)
    assert v["serials_consistent"].status == "proved"


def test_without_strengthening_the_step_fails_and_nothing_is_claimed():
    m = build("availability", "trio")
    proof = prove_machine(m, properties_of("availability"), max_k=3)
    v = proof.verdicts["timed_out_never_enacted"]
    assert v.status == "bounded" and v.depth == 3  # no counterexample, no proof: not reported as safe
    assert proof.verdicts["available_only_above_two_thirds"].status == "proved"


def test_inclusion_proved_by_k_induction():
    m = build("inclusion", "trio", overrides={"max_candidates": 1})
    proof, items = prove_machine_item(m, properties_of("inclusion"), max_k=2)
    bad = [(i.name, str(i.verdict)) for i in items if not i.ok]
    assert not bad, bad
    assert proof.k == 1


def test_a_wrong_strengthening_is_refuted_not_assumed():
    m = build("availability", "trio")

    def never_available(m, s):
        return all(p.status != Status.AVAILABLE for p in s.paras)

    proof = prove_machine(m, properties_of("availability"), max_k=5, aux=[("never_available", never_available)])
    v = proof.verdicts["never_available"]
    assert v.status == "counterexample"
    assert not never_available(m, v.trace.states[-1])
    assert proof.verdicts["available_only_above_two_thirds"].status == "proved"


def test_a_mutant_is_never_proved():
    m = build("availability", None, "av_threshold_ge")
    proof = prove_machine(m, properties_of("availability"), max_k=4, aux=_aux("availability"))
    v = proof.verdicts["available_only_above_two_thirds"]
    assert v.status == "counterexample" and len(v.trace) == 4


def test_timeout_gives_unknown():
    m = build("availability", "trio")
    proof = prove_machine(m, properties_of("availability"), max_k=3, timeout=1e-6)
    assert all(v.status == "unknown" for v in proof.verdicts.values())


@pytest.mark.parametrize("machine,preset,overrides", [
    ("availability", "trio", {}),
    ("inclusion", "tiny", {"max_candidates": 1}),
    ("inclusion", "trio", {"max_candidates": 1}),
])
def test_strengthening_invariants_hold_on_every_reachable_state(machine, preset, overrides):
    m = build(machine, preset, overrides=overrides)
    states = reachable_states(m)
    assert m.auxiliary_invariants()
    for aux in m.auxiliary_invariants():
        assert all(aux.fn(m, s) for s in states), aux.name


# -- counting abstractions --------------------------------------------------------------------------------


@pytest.mark.parametrize("machine,preset,depth,overrides", [  # n = 3, 4, 5
    ("availability", "trio", 8, {}),
    ("availability", "tiny", 6, {}),
    ("availability", "small", 4, {"max_candidates": 1}),
    ("inclusion", "trio", None, {"max_candidates": 1}),
    ("inclusion", "tiny", None, {"max_candidates": 1}),
])
def test_counting_abstraction_is_sound_at_small_n(machine, preset, depth, overrides):
    m = build(machine, preset, overrides=overrides)
    states = reachable_states(m, depth)
    # soundness is a property of the abstract transitions (trans, init, alpha): checked once
    # per distinct abstraction, however many properties are proved on it
    distinct = {(cm.trans, cm.init, cm.alpha, cm.alpha_step): cm for cm in m.counting_models()}
    for cm in distinct.values():
        steps, problems = check_soundness(cm, m, states)
        assert not problems, problems[:3]
        assert steps >= 20


def test_soundness_check_catches_an_unsound_abstraction():
    import attrs
    import z3

    cm = build("availability").counting_models()[0]

    def no_votes(m, s, s2, p, sym):  # forgets that bitfields add votes
        return z3.And(cm.trans(m, s, s2, p, sym), s2["c"] <= s["c"])

    broken = attrs.evolve(cm, trans=no_votes)
    m = build("availability", "trio")
    _, problems = check_soundness(broken, m, reachable_states(m, 3))
    assert problems and "SignBitfield" in problems[0]


# -- mutants: counterexamples replayed on the Python model -----------------------------------------------


def _explicit_shortest(m, kills):
    r = Checker(m).with_properties(properties_of(m.name)).with_stop_on_violation(kills).run()
    return {p.property.name: len(p.trace) for p in r.properties if p.verdict == "violated"}


DEEP = [  # (mutant, preset, overrides): those whose counterexamples are too long for the agreement matrix
    ("av_unavailable_still_counted", "trio", {}),
    ("inc_threshold_half", "trio", {"max_candidates": 1}),
    ("inc_timeout_early", "trio", {"max_candidates": 1}),
    ("inc_timed_out_kept", "trio", {"max_candidates": 1}),
    ("inc_no_backing_check", "trio", {"max_candidates": 1}),
    ("inc_occupied_core_overwritten", "trio", {}),
    ("inc_second_core", "trio", {}),
]


@pytest.mark.parametrize("mutant,preset,overrides", DEEP, ids=[d[0] for d in DEEP])
def test_deep_mutant_counterexample_replays(mutant, preset, overrides):
    mu = MUTANTS[mutant]
    m = build(mu.machine, preset, mutant, overrides)
    shortest = mu.machine == "availability"
    explicit = _explicit_shortest(m, mu.kills)
    proof, items = bmc_mutant(m, properties_of(mu.machine), mu.kills, depth=max(explicit.values()), shortest=shortest)
    for k in mu.kills:
        v = proof.verdicts[k]
        assert v.status == "counterexample", (k, str(v))
        tr = v.trace
        assert tr.mutant == mutant and tr.preset == m.config.name
        # the trace is the model's own run (replayed), and it violates the property
        s = tr.states[0]
        for a, t in zip(tr.actions, tr.states[1:]):
            s = m.step(s, a)
            assert s == t
        if shortest:
            assert len(tr) == explicit[k]
        else:
            assert len(tr) >= explicit[k]


def test_symbolic_counterexample_written_as_itf_replays(tmp_path, capsys):
    mu = MUTANTS["inc_any_validator_backs"]
    m = build("inclusion", "trio", mu.name)
    proof, _ = bmc_mutant(m, properties_of("inclusion"), mu.kills, depth=4)
    tr = proof.verdicts["statements_only_from_assigned_group"].trace
    path = itf.write(tr, tmp_path / "ce.itf.json", m.view, "symbolic counterexample")
    data = json.loads(path.read_text())
    assert data["#meta"]["mutant"] == mu.name and data["#meta"]["source"] == "paraspec"
    assert main(["trace", "replay", str(path)]) == 0
    assert "every state matches" in capsys.readouterr().out
    ex = _explicit_shortest(m, mu.kills)
    assert len(tr) == ex["statements_only_from_assigned_group"]


def test_counterexample_decoding_rejects_a_mismatch():
    """The decoder replays on the model; a decoded run the model does not take is refused."""
    from paraspec.checker.symbolic.bmc import ReplayMismatch

    m = build("availability", "trio")
    p = Prover(m, properties_of("availability"))
    s0 = next(iter(m.init()))
    bogus = s0.__class__(s0.paras, signed=2)
    with pytest.raises(ReplayMismatch):
        p.replay([s0, bogus], [list(m.actions(s0))[0]])


# -- the engine knows no protocol area ----------------------------------------------------------------


def _engine_sources():
    import pathlib

    import paraspec.checker as checker

    root = pathlib.Path(checker.__file__).parent
    return [p for d in ("symbolic", "vectors", "commands") for p in sorted((root / d).glob("*.py"))]


def test_engines_name_no_machine_and_import_no_area():
    """Domains, invariants, counting models and lemmas reach checker/symbolic only through the
    machine contract and the property declarations: no engine module spells a machine's name
    or area, and checker/symbolic imports no area module of the model."""
    import ast

    from paraspec.model.core import MACHINES

    names = set(MACHINES) | {c.area for c in MACHINES.values()}
    sources = _engine_sources()
    assert any(p.parent.name == "symbolic" and p.name == "counting.py" for p in sources)
    from paraspec.checker.vectors.suites import SUITES

    for path in sources:
        tree = ast.parse(path.read_text())
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        if path.name == "suites.py":  # the vocabulary of suites: "runtime" is a suite's name there
            strings -= set(SUITES)
        assert not strings & names, (path.name, strings & names)
        if path.parent.name == "symbolic":
            for n in ast.walk(tree):
                if not isinstance(n, ast.ImportFrom):
                    continue
                mods = [f"{n.module}.{a.name}" for a in n.names] if n.module == "paraspec.model" else [n.module or ""]
                for mod in mods:
                    if mod.startswith("paraspec.model."):
                        assert mod in ("paraspec.model.core", "paraspec.model.proofs", "paraspec.model.logic",
                                       "paraspec.model.rules"), (path.name, mod)
