"""The ``disputes`` machine (spec/disputes.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import UsageError, build, load_all
from paraspec.model.core import Rejected
from paraspec.model.disputes import Block, Build, Dispute, Finalize, Phase, Rollup, Side, Tick, Vote
from paraspec.model.disputes import Kind as RecordKind
from paraspec.model.thresholds import OUTCOME_INVALID
from paraspec.properties.core import properties_for
from tests.walks import check_walk

load_all()

MACHINE = "disputes"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)


def test_rule_ids_map_to_properties():
    """Every rule of spec/disputes.md is named by a property (DSP-9, DSP-14 and SLS-1 .. SLS-3 also
    by the count-level escalation machine), and every property names existing rules."""
    rules = set(RULE.findall((SPEC / "disputes.md").read_text()))
    assert rules == {f"DSP-{i}" for i in range(1, 15)} | {f"SLS-{i}" for i in range(1, 5)}
    named = {r for mach in ("disputes", "escalation") for p in properties_for(mach) for r in p.rules}
    assert rules <= named
    known = set()
    for doc in SPEC.glob("*.md"):
        known |= set(RULE.findall(doc.read_text()))
    for p in properties_for(MACHINE):
        assert set(p.rules) <= known, (p.name, p.rules)


def test_invalid_candidate_reverts_fork_a_and_is_blacklisted():
    """X (invalid, backed by the byzantine validator) is included in A1 and Y in A2; the
    honest validators dispute X; after the window fork A reverts to G and X is blacklisted;
    a new fork B cannot include X, and the concluded dispute is rolled up onto it before
    any block passes, slashing X's backer there too."""
    m = build(MACHINE, "tiny")
    byz = 1 << m.params.byzantine
    s = next(s for s in m.init() if not s.truth_valid)
    s = m.step(s, Build(Block.A1, True))
    s = m.step(s, Build(Block.A2))
    for v in (0, 1, 2):
        s = m.step(s, Vote(0, v, Side.INVALID))
    assert s.records[0].phase == Phase.CONCLUDED
    with pytest.raises(Rejected) as e:
        m.step(s, Finalize(Block.A1))
    assert e.value.rule_id == "DSP-10"
    s = m.step(s, Tick())
    s = m.step(s, Tick())
    assert s.blacklisted and s.reverted == (1 << Block.A1) | (1 << Block.A2)
    assert s.records[0].slashed == byz and not s.records[0].slashed & (1 << 1)  # Y's backer spared
    with pytest.raises(Rejected) as e:
        m.step(s, Build(Block.B1, True))
    assert e.value.rule_id == "DSP-8"
    s = m.step(s, Build(Block.B1, False))
    with pytest.raises(Rejected) as e:
        m.step(s, Tick())  # the concluded dispute must first reach fork B (DSP-11)
    assert e.value.rule_id == "DSP-12"
    s = m.step(s, Rollup(1, 0))
    assert s.records[1].kind == RecordKind.ROLLUP and s.records[1].phase == Phase.CONCLUDED
    s = m.step(s, Tick())
    s = m.step(s, Tick())
    assert s.records[1].phase == Phase.CLOSED and s.records[1].slashed == byz


def test_remote_dispute_on_an_unavailable_candidate_slashes_the_disputer():
    m = build(MACHINE, "tiny")
    s = next(s for s in m.init() if not s.truth_valid)
    s = m.step(s, Build(Block.B1, False))
    byz = m.params.byzantine
    s = m.step(s, Dispute(1, byz))
    assert s.records[1].phase == Phase.AVAILABILITY
    s = m.step(s, Tick())
    r = s.records[1]
    assert r.phase == Phase.CLOSED and r.slashed == 1 << byz and r.fee == 1 << byz


def test_n_validators_is_honoured():
    """With 7 validators the byzantine validator is 6, and a local dispute concludes only
    once more than 2/3 of the 7 (5) attest: the 3 votes that conclude it among 4 do not."""
    m = build(MACHINE, "tiny", overrides={"n_validators": 7})
    assert m.params.n_validators == 7 and m.params.byzantine == 6 and m.params.f == 2
    s = next(s for s in m.init() if not s.truth_valid)
    s = m.step(s, Build(Block.A1, True))
    for v in (0, 1, 2):
        s = m.step(s, Vote(0, v, Side.INVALID))
    assert s.records[0].phase == Phase.OPEN  # X's backer (6) and 3 honest votes: 4 of 7
    s = m.step(s, Vote(0, 3, Side.INVALID))
    assert s.records[0].phase == Phase.CONCLUDED and s.records[0].outcome == OUTCOME_INVALID
    with pytest.raises(Rejected) as e:
        m.step(s, Vote(0, 7, Side.INVALID))
    assert e.value.rule_id == "DSP-9"


@pytest.mark.parametrize("preset,overrides,needle", [
    ("polkadot", {}, "has no such preset"),
    ("tiny", {"n_validators": 3}, "at least 4 validators"),
    ("tiny", {"availability_timeout": 0}, "availability_timeout"),
    ("tiny", {"max_candidates": 2}, "not a parameter of machine 'disputes'"),
])
def test_parameters_it_cannot_honour_are_refused(preset, overrides, needle):
    with pytest.raises(UsageError, match=needle):
        build(MACHINE, preset, overrides=overrides)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40),
       st.sampled_from(["seed", "sdk"]))
def test_random_walks_keep_the_properties(choices, rule):
    m = build(MACHINE, "tiny", overrides={"dispute_rule": rule})
    # and reversions and the blacklist only grow
    check_walk(m, properties_for(MACHINE), choices,
               lambda s, a, t: t.reverted & s.reverted == s.reverted and (t.blacklisted or not s.blacklisted))
