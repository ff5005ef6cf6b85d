"""Which permutations the availability machine preserves, and the reduction it declares (spec AV-D6).

An automorphism of the transition graph that fixes the initial state maps the states
reachable within ``d`` steps onto themselves, so closure of that set is a necessary
condition for a symmetry reduction to be sound, and a state mapped outside it refutes
one. At ``trio`` (3 validators, 2 paras): swapping the paras keeps the set, and every
property gives the same value on a state (a transition) and on its image, so the machine
declares the para permutations; no permutation of the validators keeps the set
(bitfields come in ascending validator order, AV-3), so it declares none of them.
Reduced and full searches are compared in ``tests/test_symmetry.py`` (every mutant, at
``trio``) and here at ``tiny``; the reduced figures are pinned in ``tests/manifest.toml``.
"""

from __future__ import annotations

import itertools

import attrs
import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.results import SymmetryRefused
from paraspec.model.availability import EndBlock, SignBitfield
from paraspec.model.core import Rejected
from paraspec.checker.symbolic.crosscheck import reachable_states
from paraspec.properties.core import MUTANTS, Kind

load_all()


def _permute_mask(x: int, perm) -> int:
    """The bitmask ``x`` with bit ``i`` moved to bit ``perm[i]`` (bits beyond ``perm`` kept)."""
    out = x >> len(perm) << len(perm)
    for i, j in enumerate(perm):
        out |= ((x >> i) & 1) << j
    return out


def _swap_paras(s):
    return attrs.evolve(s, paras=s.paras[::-1])


def _swap_action(a):
    if isinstance(a, SignBitfield):
        return attrs.evolve(a, bits=_permute_mask(a.bits, (1, 0)))
    assert isinstance(a, EndBlock)
    return EndBlock(_permute_mask(a.note, (1, 0)))


def _states(depth=7):
    m = build("availability", "trio")
    states = reachable_states(m, depth)
    assert len(states) > 1000
    return m, states, set(states)


def test_paras_are_interchangeable_and_validators_are_not():
    m, states, known = _states()
    assert m.symmetry.para_fields == ("paras",) and m.symmetry.n_paras == 2
    assert not m.symmetry.validator_masks and not m.symmetry.validator_args  # no validator reduction
    swapped = [_swap_paras(s) for s in states]
    assert all(t in known for t in swapped)
    assert any(t != s for s, t in zip(states, swapped))  # the swap moves states: the check has teeth
    # every permutation of the validators but the identity maps some reachable state outside (AV-3)
    n = m.config.n_validators
    for perm in itertools.permutations(range(n)):
        if perm == tuple(range(n)):
            continue
        outside = [s for s in states
                   if attrs.evolve(s, paras=tuple(attrs.evolve(p, votes=_permute_mask(p.votes, perm))
                                                  for p in s.paras)) not in known]
        assert outside, f"validator permutation {perm} keeps the reachable states: AV-D6 should be revisited"


def test_every_property_is_invariant_under_the_para_swap():
    """What ``symmetric=True`` (the default) promises, checked on the states reachable within 6
    steps at ``trio`` and on every input tried from them (accepted or rejected): each invariant,
    reachability predicate and witness has the same value on a state and on its image, each
    transition property on an edge and on its image (the input's para bitmask permuted alike)."""
    m, states, known = _states(6)
    props = properties_of("availability")
    assert all(p.symmetric for p in props)
    for s in states:
        t = _swap_paras(s)
        for p in props:
            if p.kind in (Kind.ALWAYS, Kind.SOMETIMES):
                assert bool(p.predicate(m, s)) == bool(p.predicate(m, t)), (p.name, s)
                if p.witness is not None:
                    assert bool(p.witness(m, s)) == bool(p.witness(m, t)), (p.name, s)
    edges = 0
    for s in states[:400]:
        for a in m.actions(s):
            try:
                nxt = m.step(s, a)
            except Rejected as e:
                nxt = e
            sa, ta = _swap_paras(s), _swap_action(a)
            try:
                img = m.step(sa, ta)
            except Rejected as e:
                img = e
            if isinstance(nxt, Rejected):  # the image is rejected by the same rule
                assert isinstance(img, Rejected) and img.rule_id == nxt.rule_id, (s, a)
            else:
                assert img == _swap_paras(nxt), (s, a)
            for p in props:
                if p.kind is Kind.TRANSITION and (not p.on or isinstance(a, p.on)):
                    edges += 1
                    assert bool(p.predicate(m, s, a, nxt)) == bool(p.predicate(m, sa, ta, img)), (p.name, s, a)
                    if p.witness is not None:
                        assert bool(p.witness(m, s, a, nxt)) == bool(p.witness(m, sa, ta, img)), (p.name, s, a)
    assert edges > 10_000


@pytest.mark.parametrize("engine", ["vector", "explicit"])
def test_reduced_and_full_verdicts_agree(engine):
    props = properties_of("availability")
    if engine == "explicit":  # the explicit engine honours --symmetry too (trio, bounded: it is slower)
        checker = Checker(build("availability", "trio")).with_properties(props).with_engine("explicit") \
            .with_max_depth(7)
    else:
        checker = Checker(build("availability", "tiny")).with_properties(props).with_engine("vector")
    full = checker.run()
    red = checker.with_symmetry().run()
    assert red.engine.endswith("+symmetry")
    assert red.states < full.states and red.depth == full.depth
    assert [(p.property.name, p.verdict) for p in full.properties] == \
        [(p.property.name, p.verdict) for p in red.properties]
    assert set(red.rejections) == set(full.rejections)
    if engine == "vector":
        assert (full.states, red.states) == (89_780, 45_221)  # also pinned in tests/manifest.toml


@pytest.mark.parametrize("mutant", sorted(mu.name for mu in MUTANTS.values() if mu.machine == "availability"))
def test_every_mutant_is_killed_with_symmetry_on(mutant):
    """The reduced search still kills every availability mutant (at its own preset), each
    property it must break reported violated with a concrete counterexample."""
    mu = MUTANTS[mutant]
    m = build("availability", mu.preset, mutant)
    r = Checker(m).with_properties(properties_of("availability")).with_symmetry() \
        .with_stop_on_violation(mu.kills).run()
    assert r.engine.endswith("+symmetry")
    got = {p.property.name: p for p in r.properties}
    for k in mu.kills:
        assert got[k].verdict == "violated", (mutant, k)
        tr = got[k].trace
        for s, a, t in zip(tr.states, tr.actions, tr.states[1:]):
            assert m.step(s, a) == t  # lifted to a run of the machine, not of the quotient


def test_a_property_naming_one_para_is_refused_under_symmetry(capsys):
    """A property declared ``symmetric=False`` (it names a particular para or validator) is not
    silently checked on the reduced space: the reduction is refused, one line, exit 2 on the CLI."""
    from paraspec.checker.cli import main
    from paraspec.properties.core import PROPERTIES, Property

    def para0_never_available(m, s):
        return s.paras[0].status != 2

    p = Property("para0_never_available", Kind.ALWAYS, "availability", ("AV-6",), para0_never_available,
                 symmetric=False)
    m = build("availability", "trio")
    with pytest.raises(SymmetryRefused, match="para0_never_available names a particular validator or para"):
        Checker(m).with_properties([p]).with_symmetry().run()
    # without --symmetry it is checked in full (and is violated: para 0's candidate becomes available)
    assert Checker(m).with_properties([p]).with_max_depth(8).run().properties[0].verdict == "violated"
    PROPERTIES["availability"]["para0_never_available"] = p
    try:
        assert main(["check", "availability", "--preset", "trio", "--symmetry", "--property",
                     "para0_never_available"]) == 2
    finally:
        del PROPERTIES["availability"]["para0_never_available"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--symmetry: property para0_never_available" in err, err


def test_symmetry_on_a_named_machine_without_one_is_refused_before_any_search(capsys, tmp_path):
    from paraspec.checker.cli import main

    out = tmp_path / "r.json"
    assert main(["check", "availability", "disputes", "--symmetry", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--symmetry: disputes declares no symmetry" in err, err
    assert not out.exists()  # refused before availability (which has one) was searched


def test_symmetry_over_every_machine_says_which_are_explored_in_full(capsys, monkeypatch):
    from paraspec.checker.cli import main
    from paraspec.checker.commands import check

    monkeypatch.setattr(check, "machine_names", lambda: ["escalation", "avail_core"])
    assert main(["check", "--symmetry"]) == 0
    text = capsys.readouterr().out
    assert "escalation @ tiny: declares no symmetry, explored in full" in text, text
    assert "avail_core @ tiny: declares no symmetry" not in text
