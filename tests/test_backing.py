"""The ``backing`` machine (spec/backing.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import UsageError, build, load_all
from paraspec.model.backing import BackingMachine, Kind, Second, Statement, has_double_vote, statement_bit
from paraspec.model.core import Rejected
from paraspec.properties.core import properties_for
from tests.walks import check_walk

load_all()

MACHINE = "backing"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)


def test_rule_ids_map_to_properties():
    rules = set(RULE.findall((SPEC / "backing.md").read_text()))
    assert rules == {f"BCK-{i}" for i in range(1, 11)}
    named = {r for p in properties_for(MACHINE) for r in p.rules}
    assert rules == named


# -- unit behaviour of the statement table --------------------------------------------------------------------


def test_double_vote_kinds():
    c = 2
    sec0, sec1 = statement_bit(Kind.SECONDED, 0, c), statement_bit(Kind.SECONDED, 1, c)
    val0, val1 = statement_bit(Kind.VALID, 0, c), statement_bit(Kind.VALID, 1, c)
    inv0 = statement_bit(Kind.INVALID, 0, c)
    assert has_double_vote(sec0 | sec1, c)  # two candidates seconded
    assert has_double_vote(sec0 | val0, c)  # issued and validity
    assert has_double_vote(val0 | inv0, c)  # validity and invalidity
    assert has_double_vote(sec0 | inv0, c)  # issued and invalidity
    assert not has_double_vote(sec0 | val1, c)  # second one, vouch for another
    assert not has_double_vote(sec1 | inv0, c)


def test_honest_node_refuses_a_second_seconding():
    m = build(MACHINE, "tiny")
    s = next(st for st in m.init() if st.truth == 0b11)
    s = m.step(s, Second(0, 0))
    with pytest.raises(Rejected) as e:
        m.step(s, Second(0, 1))
    assert e.value.rule_id == "BCK-2"


def test_forged_statement_rejected():
    m = build(MACHINE, "tiny")
    s = next(iter(m.init()))
    with pytest.raises(Rejected) as e:
        m.step(s, Statement(0, Kind.SECONDED, 0, signer=2))
    assert e.value.rule_id == "BCK-1"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=30),
       st.sampled_from(["majority", "two_thirds", "sdk"]))
def test_random_walks_keep_the_properties(choices, reading):
    m = build(MACHINE, "tiny", overrides={"backing_threshold": reading})
    assert isinstance(m, BackingMachine)
    # and backability is never withdrawn
    check_walk(m, properties_for(MACHINE), choices, lambda s, a, t: t.backable & s.backable == s.backable)


def test_parameters():
    """``trio`` is a group of 2 (one honest, one byzantine); ``minimum_backing_votes`` is read
    by the sdk reading only, so another value under another reading is refused."""
    trio = build(MACHINE, "trio")
    assert (trio.params.group_size, trio.params.outsider) == (2, 2)
    assert [v for v in range(3) if trio.params.is_honest(v)] == [0]
    sdk3 = build(MACHINE, "tiny", overrides={"backing_threshold": "sdk", "minimum_backing_votes": 3})
    assert not sdk3.is_backable(0b011) and sdk3.is_backable(0b111)
    with pytest.raises(UsageError, match="only the sdk backing threshold reads it"):
        build(MACHINE, "tiny", overrides={"minimum_backing_votes": 3})
    with pytest.raises(UsageError, match="group_size"):
        build(MACHINE, "tiny", overrides={"group_size": 1})
    with pytest.raises(UsageError, match="has no such preset"):
        build(MACHINE, "polkadot")
