"""Mutants are caught, with a shortest counterexample that replays on the mutant, by every
property they name (the correct model passes them: tests/manifest.toml).

Every mutant is checked by ``make check`` (``paraspec check --all-mutants``, which exits 1 when one
survives); here a sample runs through the engine with its counterexamples replayed step by step:
the first mutant of every machine (by name), every mutant killed by a liveness property (a lasso),
and mutants whose shape of counterexample or configuration is of its own kind (listed in ``SHAPES``).
"""

import re
from pathlib import Path

import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.results import Verdict
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.model.core import Rejected
from paraspec.properties.core import MUTANTS

load_all()

ROOT = Path(__file__).resolve().parent.parent

#: the shapes the sample must hold besides one mutant per machine and the liveness kills: a preset of the
#: mutant's own (trio), a reading of its own (sdk), two overrides of its own, a counterexample of length 0
#: (the initial state violates the property), and one that ends in a rejected input
SHAPES = {
    "av_threshold_ge": "its own preset",
    "dsp_revert_at_close_under_sdk": "reading=sdk",
    "esc_case_three_shadowed": "two overrides",
    "apr_mod_all_parablocks": "violated in the initial state",
    "hlt_evidence_refused_in_hard_halt": "ends in a rejected input",
}


def _liveness(name: str) -> bool:
    mut = MUTANTS[name]
    return any(p.kind.value in ("eventually", "leads_to") for p in properties_of(mut.machine) if p.name in mut.kills)


SAMPLE = sorted({*{m.machine: n for n, m in sorted(MUTANTS.items(), reverse=True)}.values(),
                 *filter(_liveness, MUTANTS), *SHAPES})


@pytest.mark.parametrize("name", SAMPLE)
def test_mutant_is_killed(name):
    mut = MUTANTS[name]
    machine = build(mut.machine, None, name)
    props = [p for p in properties_of(mut.machine) if p.name in mut.kills]
    assert len(props) == len(mut.kills), f"{name} names a property {mut.machine} does not have"
    r = Checker(machine).with_properties(props).with_stop_on_violation(mut.kills).run()
    assert r.error is None, f"{name}: model error {r.error}"
    for pr in r.properties:
        assert pr.verdict == Verdict.VIOLATED, f"{name} survives {pr.property.name}"
        assert pr.trace is not None  # (length 0 when the initial state already violates it)
        # the counterexample replays on the mutant
        for s, a, t in zip(pr.trace.states, pr.trace.actions, pr.trace.states[1:]):
            assert machine.step(s, a) == t
        if pr.trace.rejection is not None:  # a counterexample may end in a rejected input
            with pytest.raises(Rejected) as e:
                machine.step(pr.trace.states[-1], pr.trace.actions[-1])
            assert e.value.rule_id == pr.trace.rejection.rule_id
    shape = SHAPES.get(name)
    if shape == "violated in the initial state":
        assert any(len(pr.trace) == 0 for pr in r.properties)
    if shape == "ends in a rejected input":
        assert any(pr.trace.rejection is not None for pr in r.properties)


def test_the_sample_covers_every_machine_and_make_check_runs_every_mutant():
    assert {MUTANTS[n].machine for n in SAMPLE} == {m.machine for m in MUTANTS.values()}
    assert all(_liveness(n) for n in ("hlt_emergency_never_lapses", "inc_unvoted_never_ages")) and \
        {"hlt_emergency_never_lapses", "inc_unvoted_never_ages"} <= set(SAMPLE)
    recipe = re.search(r"^check:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert re.search(r"paraspec check --all-mutants(?!.*--(machine|mutant|property|max-|preset|set|reading))",
                     recipe), recipe
