"""Rule IDs are declared as data (``@implements``), and conformance-vector tracing reads them."""

import pytest

from paraspec.checker.registry import load_all
from paraspec.checker.vectors.tracing import rule_functions
from paraspec.model.availability import AvailabilityMachine
from paraspec.model.core import implements
from paraspec.model.rules import rule_ids
from paraspec.model.thresholds import is_more_than_two_thirds

load_all()


def test_implements_records_the_ids_and_returns_the_function():
    def f():
        """No rule ID here: the declaration is what counts."""

    g = implements("AV-6", "TH-2", "AV-6")(f)
    assert g is f
    assert rule_ids(f) == ("AV-6", "TH-2")
    assert rule_ids(lambda: None) == ()


@pytest.mark.parametrize("ids", [(), ("av-6",), ("AV-D1",), ("AV6",), (6,)])
def test_implements_refuses_what_is_not_a_rule_id(ids):
    with pytest.raises(ValueError):
        implements(*ids)


def test_tracing_reads_the_declarations():
    codes = rule_functions()
    assert codes[AvailabilityMachine.is_available.__code__] == rule_ids(AvailabilityMachine.is_available) == ("AV-6",)
    assert codes[is_more_than_two_thirds.__code__] == rule_ids(is_more_than_two_thirds)
    assert rule_ids(is_more_than_two_thirds)[0] == "TH-2"


def test_every_declared_rule_id_is_a_rule_of_spec():
    """A model function may only declare rule IDs that spec/ defines (``@implements("SCH-13")`` on a
    function once named a rule no spec file has, so no vector case or traceability row could reach it)."""
    from paraspec.checker.spec import load_rules

    rules = set(load_rules())
    declared = {rid: code for code, ids in rule_functions().items() for rid in ids}
    unknown = sorted(f"{rid} ({code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno})"
                     for rid, code in declared.items() if rid not in rules)
    assert unknown == []
    assert {"SCH-2", "SCH-11", "AV-6"} <= set(declared)
