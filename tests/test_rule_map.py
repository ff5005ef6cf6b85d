"""The rule-ID spine: spec rules <-> properties <-> mutants stay complete."""

import re
from pathlib import Path

import pytest

from paraspec.checker.registry import load_all
from paraspec.checker.spec import load_rules
from paraspec.model.core import MACHINES
from paraspec.properties.core import MUTANTS, PROPERTIES, Kind

ROOT = Path(__file__).resolve().parent.parent
load_all()
RULES = load_rules()


def _lemma_rules() -> set[str]:
    try:
        from paraspec.checker.symbolic import lemmas
    except ImportError:
        return set()
    return {r for lm in lemmas.all_lemmas() for r in lm.rules}


def all_properties():
    return [p for ps in PROPERTIES.values() for p in ps.values()]


def test_spec_has_rules():
    assert len([r for r in RULES.values() if not r.is_decision]) >= 20


def test_every_rule_is_checked():
    named = {r for p in all_properties() for r in p.rules} | _lemma_rules()
    missing = sorted(r for r, rule in RULES.items() if not rule.is_decision and r not in named)
    assert not missing, f"rules in spec/ with no property or lemma: {missing}"


def test_every_property_names_existing_rules():
    unknown = sorted({(p.qualified, r) for p in all_properties() for r in p.rules if r not in RULES})
    assert not unknown, f"properties naming IDs missing from spec/: {unknown}"


def test_every_lemma_names_existing_rules():
    """The declared lemmas and the counting lemmas name rule IDs that spec/ defines."""
    from paraspec.checker.symbolic import lemmas

    found = lemmas.all_lemmas()
    assert found, "no lemmas: the scan is broken"
    unknown = sorted({(lm.name, r) for lm in found for r in lm.rules if r not in RULES})
    assert not unknown, f"lemmas naming IDs missing from spec/: {unknown}"


def test_every_safety_property_has_a_witness():
    bare = [p.qualified for p in all_properties() if p.kind in (Kind.ALWAYS, Kind.TRANSITION) and p.witness is None]
    assert not bare, f"always/transition properties without a witness (could pass vacuously): {bare}"


def test_every_property_has_a_mutant():
    killed = {(m.machine, k) for m in MUTANTS.values() for k in m.kills}
    checked = [p for p in all_properties() if p.kind in (Kind.ALWAYS, Kind.TRANSITION)]
    missing = sorted(p.qualified for p in checked if (p.machine, p.name) not in killed)
    assert not missing, f"properties no mutant breaks: {missing}"


def test_mutants_name_real_properties():
    for m in MUTANTS.values():
        assert m.machine in MACHINES, m.name
        for k in m.kills:
            assert k in PROPERTIES.get(m.machine, {}), f"mutant {m.name} names unknown property {k}"
        assert issubclass(m.cls, MACHINES[m.machine]), f"mutant {m.name} is not a variant of {m.machine}"


def test_every_machine_has_properties_and_mutants():
    for name in MACHINES:
        assert PROPERTIES.get(name), f"machine {name} has no properties"
        assert any(m.machine == name for m in MUTANTS.values()), f"machine {name} has no mutant"


def test_rejection_rules_exist_in_spec():
    """Every rule ID a model guard raises (require(..., "ID", ...) / Rejected("ID", ...)) is in spec/."""
    pat = re.compile(r"""(?:require\([^\n]*?,\s*|Rejected\()\s*["']([A-Z]{2,4}-\d+)["']""")
    used = set()
    for path in (ROOT / "model").rglob("*.py"):
        used |= set(pat.findall(path.read_text()))
    assert used, "no guards found: the scan is broken"
    missing = sorted(used - set(RULES))
    assert not missing, f"guards raise rule IDs missing from spec/: {missing}"


@pytest.mark.parametrize(("area", "key"), [("HLT", "[HALT]"), ("POA", "[POA]"), ("RSC", "[RESCUE]")])
def test_recovery_rules_cite_their_source(area, key):
    """The three recovery areas cite, in every rule, the passage of their source (its key
    in spec/sources.md) that the rule comes from; a bullet's continuation lines are part of its text."""
    rules = [r for r in RULES.values() if r.id.startswith(area + "-") and not r.is_decision]
    assert len(rules) >= 10
    assert [r.id for r in rules if key not in r.text] == []
