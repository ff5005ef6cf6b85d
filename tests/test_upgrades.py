"""Tests of the ``upgrades`` machine (spec/upgrades.md): every mutant killed with its
pinned shortest counterexample (state counts and verdicts: tests/manifest.toml), the
rule map between spec and properties, the interpreter at the RFC's values, and
Hypothesis random walks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paraspec.checker.explicit import Checker
from paraspec.checker.fingerprint import fingerprint
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.model.config import ConfigError
from paraspec.model.core import Rejected
from paraspec.model.thresholds import (
    is_pvf_check_accepted,
    is_pvf_check_rejected,
    pvf_accept_threshold,
    pvf_reject_threshold,
    supermajority_threshold,
)
from paraspec.model.upgrades import (
    Block,
    Fetch,
    Finalize,
    Kind,
    Phase,
    PrecheckVote,
    UpgradeConfig,
    UpgradeEvent,
    UpgradesMachine,
)
from paraspec.properties.core import MUTANTS, Kind as PKind

load_all()

M = "upgrades"
SPEC = Path(__file__).resolve().parent.parent / "spec" / "upgrades.md"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*")
DECISION = re.compile(r"^\s*- \*\*([A-Z]{2,4}-D\d+)\*\*")


#: mutant -> property -> length of the shortest counterexample (actions)
KILLS = {
    "upg_accept_at_half": {"precheck_accepts_only_with_supermajority": 7},
    "upg_available_at_half": {"included_code_held_by_supermajority": 4},
    "upg_backer_without_code": {"backers_hold_current_code": 11},
    "upg_backers_skip_blob": {"pending_code_held_by_a_validator": 1},
    "upg_ballots_survive_session": {"ballots_reset_each_session": 7},
    "upg_bit_without_active_code": {"bits_only_from_active_code_holders": 12},
    "upg_bit_without_pending_code": {"counter_zero_bits_only_from_code_holders": 4,
                                     "included_code_held_by_supermajority": 4,
                                     "precheck_starts_with_code_at_supermajority": 4},
    "upg_blocks_to_go_is_counter": {"event_reports_counter_and_blocks_to_go": 3},
    "upg_counter_on_inclusion": {"counter_counts_backed_candidates": 2},
    "upg_counter_underflow": {"type_ok": 4},
    "upg_deposit_released_at_enactment": {"stored_code_keeps_its_deposit": 16},
    "upg_enact_unchecked": {"enactment_after_counter_precheck_and_session": 5},
    "upg_enact_without_session_wait": {"enactment_after_counter_precheck_and_session": 9},
    "upg_failure_starts_cooldown": {"failed_upgrade_frees_the_para": 2},
    "upg_fetch_from_anyone": {"fetch_only_from_serving_source": 2},
    "upg_legacy_enacted_at_inclusion": {"legacy_code_on_chain_and_delayed": 2},
    "upg_legacy_sees_only_legacy": {"one_upgrade_in_flight": 2, "paths_never_overlap": 2},
    "upg_legacy_unchecked_size": {"oversize_code_never_enacted": 4},
    "upg_no_cooldown": {"upgrades_respect_frequency": 5},
    "upg_no_deposit_check": {"stored_code_keeps_its_deposit": 13, "request_admitted_only_with_deposit": 13},
    "upg_oversize_voted_aye": {"oversize_code_never_enacted": 11, "precheck_votes_honest_and_single": 6},
    "upg_precheck_one_early": {"precheck_starts_with_code_at_supermajority": 3},
    "upg_prune_at_enactment": {"disputable_code_held_by_majority": 4, "only_prunable_code_dropped": 4},
    "upg_prune_code_in_flight": {"pending_code_held_by_a_validator": 1},
    "upg_reject_at_supermajority": {"precheck_open_only_while_undecided": 7},
    "upg_request_rejects_candidate": {"request_never_costs_the_candidate": 2},
    "upg_request_replaces_upgrade": {"one_upgrade_in_flight": 2},
    "upg_signal_survives_timeout": {"signalled_upgrade_rides_on_its_candidate": 2},
    "upg_vote_never_expires": {"precheck_vote_expires": 7},
    "upg_vote_twice": {"precheck_votes_honest_and_single": 7},
}


def _props():
    return properties_of(M)


def _spec_ids():
    rules, decisions = set(), set()
    for line in SPEC.read_text().splitlines():
        if m := DECISION.match(line):
            decisions.add(m.group(1))
        elif m := RULE.match(line):
            rules.add(m.group(1))
    return rules, decisions


# == exhaustive exploration: pinned in tests/manifest.toml ==================================================


# == mutants ===================================================================================================


def test_every_mutant_is_pinned():
    assert set(KILLS) == {n for n, mu in MUTANTS.items() if mu.machine == M}
    for name, kills in KILLS.items():
        assert set(MUTANTS[name].kills) == set(kills), name


@pytest.mark.parametrize("name", sorted(KILLS))
def test_mutant_killed_with_shortest_counterexample(name):
    mu = MUTANTS[name]
    m = build(M, mu.preset, mutant=name)
    props = [p for p in _props() if p.name in mu.kills]
    depth = max(KILLS[name].values())
    r = Checker(m).with_properties(props).with_max_depth(depth).run()
    assert r.error is None, r.error and r.error.message
    got = {p.property.name: (p.verdict, len(p.trace) if p.trace is not None else None) for p in r.properties}
    assert got == {k: ("violated", n) for k, n in KILLS[name].items()}
    # the counterexample replays on the mutant
    for p in r.properties:
        tr = p.trace
        s = tr.states[0]
        for i, a in enumerate(tr.actions):
            try:
                s = m.step(s, a)
            except Rejected:
                assert i == len(tr.actions) - 1 and tr.rejection is not None
                break
            assert s == tr.states[i + 1]


def test_spec_table_matches_pinned_kills():
    """The property/mutant table in spec/upgrades.md quotes the pinned lengths."""
    text = SPEC.read_text()
    for name, kills in KILLS.items():
        for prop, n in kills.items():
            row = next(line for line in text.splitlines() if line.startswith(f"| `{prop}` "))
            assert f"`{name}` ({n})" in row, (prop, name, n)


# == the rule map =============================================================================================


def test_every_rule_is_checked_and_every_property_names_a_rule():
    rules, decisions = _spec_ids()
    assert rules == {f"UPG-{i}" for i in range(1, 25)}
    assert decisions == {f"UPG-D{i}" for i in range(1, 17)}
    named = set()
    for p in _props():
        assert p.rules, p.name
        assert set(p.rules) <= rules, (p.name, set(p.rules) - rules)
        named |= set(p.rules)
    assert named == rules


def test_every_safety_property_has_a_witness_and_a_mutant():
    killed = {k for mu in MUTANTS.values() if mu.machine == M for k in mu.kills}
    for p in _props():
        if p.kind in (PKind.ALWAYS, PKind.TRANSITION):
            assert p.witness is not None, p.name
            assert p.name in killed, p.name


def test_decisions_cited_in_code_exist():
    _, decisions = _spec_ids()
    root = SPEC.parent.parent
    for path in ("model/upgrades.py", "properties/upgrades.py", "model/thresholds.py"):
        for d in re.findall(r"UPG-D\d+", (root / path).read_text()):
            assert d in decisions, (path, d)


# == threshold lemmas (Z3), decision UPG-D5 ====================================================================


def test_pvf_thresholds_for_every_n():
    z3 = pytest.importorskip("z3")
    n, a, r = z3.Ints("n a r")
    s = z3.Solver()
    # accepted and rejected are exclusive whenever accepts + rejects <= n
    s.add(n >= 1, a >= 0, r >= 0, a + r <= n, is_pvf_check_accepted(a, n), is_pvf_check_rejected(r, n))
    assert s.check() == z3.unsat
    # rejected exactly when the validators not rejecting can no longer reach acceptance
    s = z3.Solver()
    s.add(n >= 1, r >= 0, r <= n, is_pvf_check_rejected(r, n) != (n - r < pvf_accept_threshold(n)))
    assert s.check() == z3.unsat
    # the thresholds add up to n
    s = z3.Solver()
    s.add(n >= 1, pvf_accept_threshold(n) + pvf_reject_threshold(n) != n)
    assert s.check() == z3.unsat


@pytest.mark.parametrize("n,accept,reject", [(1, 1, 0), (3, 3, 0), (4, 3, 1), (7, 5, 2), (10, 7, 3),
                                               (1000, 667, 333)])
def test_pvf_threshold_values(n, accept, reject):
    assert pvf_accept_threshold(n) == supermajority_threshold(n) == accept
    assert pvf_reject_threshold(n) == reject
    assert is_pvf_check_rejected(reject + 1, n) and not is_pvf_check_rejected(reject, n)


# == configuration ===============================================================================================


def test_presets():
    tiny = build(M, "tiny").params
    assert (tiny.counter_start, tiny.n_validators, tiny.groups, tiny.availability_period) == (2, 4, ((0, 1), (2, 3)), 1)
    rfc = build(M, "polkadot").params
    assert UpgradeConfig.rfc() == rfc
    assert rfc.counter_start == 10 and rfc.max_code_size == 3 * 1024 * 1024 and len(rfc.groups) == 100
    assert build(M, "small").params.counter_start == 3
    assert build(M, "trio").params.groups == ((0, 1), (2,))


def test_groups_follow_the_validators():
    """``--set n_validators`` repartitions the groups, as on the host (SCH-3)."""
    m = build(M, "tiny", overrides={"n_validators": "5"})
    assert m.params.groups == ((0, 1, 2), (3, 4)) and m.group_masks == (0b00111, 0b11000)


@pytest.mark.parametrize("field,value", [("counter_start", -1), ("n_validators", 0), ("deposit_per_byte", 0),
                                         ("n_cores", 0), ("n_cores", 5), ("request_sizes", (0,)),
                                         ("genesis_code_size", 99), ("backing_threshold", "most")])
def test_bad_config_is_one_clear_error(field, value):
    import attrs

    cfg = attrs.evolve(UpgradeConfig(), **{field: value})
    with pytest.raises(ConfigError) as e:
        cfg.validate()
    assert e.value.field == field and "\n" not in str(e.value) and field in str(e.value)


# == the interpreter at the RFC's values =============================================================================


def _all(n):
    return (1 << n) - 1


def _first(k):
    return (1 << k) - 1


def test_rfc_upgrade_end_to_end():
    """A new-path upgrade at the RFC's example values (1000 validators, counter 10):
    the per-block events, the counter-0 bit rule, pre-checking at the supermajority,
    two session changes, enactment at an inclusion, and pruning after finality."""
    m = build(M, "polkadot")
    p = m.params
    n = p.n_validators
    assert (n, p.counter_start) == (1000, 10)
    g = m.group_masks
    s = next(iter(m.init()))
    size = 2 * 1024 * 1024

    def step(state, action):
        t = m.step(state, action)
        return t, m.compute_block_events(state, action, t)

    s, ev = step(s, Block(kind=Kind.REQUEST, size=size, backers=g[0]))
    assert ev == (("initiated", 1, 10), ("counter", 1, 10, 10))
    assert m.count_holders(s, 1) == 10  # the backers fetched the blob (UPG-6)
    to_go = []
    for _ in range(10):  # each block includes the previous candidate and backs the next one
        s, ev = step(s, Block(bits=_all(n), kind=Kind.PLAIN, backers=g[0]))
        to_go.append(ev[-1])
    assert to_go == [("counter", 1, c, max(c, 1)) for c in range(9, -1, -1)]
    assert s.upgrade.counter == 0 and s.pending.at_zero
    # at counter 0 a validator without the code may not sign a 1 (UPG-12)
    with pytest.raises(Rejected) as e:
        m.step(s, Block(bits=_all(n)))
    assert e.value.rule_id == "UPG-12"
    for v in range(10, 700):
        s = m.step(s, Fetch(v, 1, v % 10))
    s, ev = step(s, Block(bits=_first(700)))
    assert ev == (("precheck_started", 1),) and s.upgrade.phase == Phase.PRECHECK
    # a validator without the code cannot vote (UPG-14)
    with pytest.raises(Rejected):
        m.step(s, PrecheckVote(999, True))
    for v in range(666):
        s = m.step(s, PrecheckVote(v, True))
    assert s.upgrade.phase == Phase.PRECHECK
    s, ev = step(s, PrecheckVote(666, True))
    assert ev == (("precheck_accepted", 1),)
    s, _ = step(s, Block(session=True))
    s, _ = step(s, Block(session=True, kind=Kind.PLAIN, backers=g[2]))
    assert s.upgrade.sessions == 2 and s.current == 0
    s, ev = step(s, Block(bits=_first(700), kind=Kind.PLAIN, backers=g[2]))
    assert ("code_enacted", 1) in ev and s.current == 1 and s.pending.code == 1
    assert s.deposits == 0b10 and m.compute_reserved(s) == size
    # the genesis code is kept until the first candidate with code 1 is final (UPG-21)
    s = m.step(s, Finalize())  # candidates of code 0
    assert m.count_holders(s, 0) == n
    s = m.step(s, Block(bits=_first(700)))  # include the first candidate of code 1
    s = m.step(s, Finalize(partial=True))
    assert s.final_code == 1 and m.count_holders(s, 0) == 0


def test_legacy_path_costs_the_candidate_new_path_does_not():
    """The RFC's problem 3: an upgrade that cannot be acted on makes a legacy block
    invalid, while a request is ignored and the candidate goes on."""
    m = build(M, "tiny")
    g = m.group_masks[0]
    s = next(iter(m.init()))
    s = m.step(s, Block(kind=Kind.REQUEST, size=1, backers=g))
    with pytest.raises(Rejected) as e:
        m.step(s, Block(bits=0b1111, kind=Kind.LEGACY, size=1, backers=g))
    assert e.value.rule_id == "UPG-3"
    t = m.step(s, Block(bits=0b1111, kind=Kind.REQUEST, size=1, backers=g))
    assert t.pending is not None and t.pending.kind == Kind.PLAIN and t.upgrade.code == 1
    assert m.compute_block_events(s, Block(bits=0b1111, kind=Kind.REQUEST, size=1, backers=g), t)[0] == (
        "request_ignored", "UPG-3")


def test_oversize_request_is_voted_down_and_para_signals_again():
    m = build(M, "tiny")
    g = m.group_masks[0]
    s = next(iter(m.init()))
    s = m.step(s, Block(kind=Kind.REQUEST, size=4, backers=g))  # 4 > max_code_size 3
    s = m.step(s, Fetch(2, 1, 0))
    s = m.step(s, Block(bits=0b1111, kind=Kind.PLAIN, backers=g))
    s = m.step(s, Block(bits=0b1111, kind=Kind.PLAIN, backers=g))
    s = m.step(s, Block(bits=0b0111))
    assert s.upgrade.phase == Phase.PRECHECK
    with pytest.raises(Rejected) as e:
        m.step(s, PrecheckVote(0, True))
    assert e.value.rule_id == "UPG-14"
    s = m.step(s, PrecheckVote(0, False))
    t = m.step(s, PrecheckVote(1, False))  # 2 > 4 - 3 rejects
    assert t.upgrade is None and t.deposits == 0 and m.count_holders(t, 1) == 0 and t.cooldown == 0
    t = m.step(t, Block(kind=Kind.REQUEST, size=1, backers=g))
    assert t.upgrade.code == 2


def test_event_is_a_function_of_the_state():
    m = build(M, "tiny")
    s = next(iter(m.init()))
    assert m.get_upgrade_event(s) is None
    s = m.step(s, Block(kind=Kind.REQUEST, size=1, backers=m.group_masks[0]))
    assert m.get_upgrade_event(s) == UpgradeEvent(1, 2, 2)


# == Hypothesis: random walks on the interpreter ======================================================================


def _walk(m, choices):
    """Follow ``choices`` (indices into the enabled actions); check every invariant on
    every state and every transition property on every step, rejected ones included."""
    props = _props()
    invariants = [p for p in props if p.kind == PKind.ALWAYS]
    transitions = [p for p in props if p.kind == PKind.TRANSITION]
    s = next(iter(m.init()))
    trail = [s]
    for c in choices:
        acts = list(m.actions(s))
        a = acts[c % len(acts)]
        try:
            t = m.step(s, a)
        except Rejected as r:
            t = r
        for p in transitions:
            if not p.on or isinstance(a, p.on):
                assert p.predicate(m, s, a, t), (p.name, s, a)
        if isinstance(t, Rejected):
            continue
        for p in invariants:
            assert p.predicate(m, t), (p.name, t)
        s = t
        trail.append(s)
    return trail


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=80))
def test_random_walks_keep_every_property_tiny(choices):
    m = build(M, "tiny")
    trail = _walk(m, choices)
    # the interpreter is deterministic: the same choices give the same states
    assert [fingerprint(x) for x in _walk(m, choices)] == [fingerprint(x) for x in trail]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=120))
def test_random_walks_keep_every_property_small(choices):
    """Five validators, counter 3: beyond what the tests explore exhaustively."""
    _walk(build(M, "small"), choices)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=6))
def test_counter_start_is_configurable(start, blocks):
    """Whatever the counter starts at, pre-checking starts at the inclusion of the
    candidate backed at counter 0, after exactly ``start`` further candidates."""
    import attrs

    cfg = attrs.evolve(build(M, "tiny").params, counter_start=start).validate()
    m = UpgradesMachine(cfg)
    g = m.group_masks[0]
    s = next(iter(m.init()))
    s = m.step(s, Block(kind=Kind.REQUEST, size=1, backers=g))
    s = m.step(s, Fetch(2, 1, 0))
    backed_after_signal = 0
    for _ in range(blocks):
        if s.upgrade.phase != Phase.SIGNALLED and s.upgrade.phase != Phase.COUNTING:
            break
        s = m.step(s, Block(bits=0b0111, kind=Kind.PLAIN, backers=g))
        backed_after_signal += 1
    if s.upgrade.phase == Phase.PRECHECK:
        # the candidate that brought the counter to 0 was backed ``start`` blocks after
        # the signal and included one block later
        assert backed_after_signal == max(start, 0) + 1
    else:
        assert backed_after_signal <= start


class _EveryChoice(UpgradesMachine):
    """The explorer offering every bitfield mask of eligible validators and every size
    of signal in every state (decision UPG-D11 says its narrower choices lose nothing)."""

    def actions(self, s):
        yield from super().actions(s)
        p = self.params
        signals = s.next_code <= p.max_upgrades
        for session in (False, True):
            backers = self.group_masks[self.compute_rotation_after_session(s.rotation) if session else s.rotation]
            kinds = [(None, 0), (Kind.PLAIN, 0)]
            if signals:
                kinds += [(k, z) for k in (Kind.REQUEST, Kind.LEGACY) for z in p.request_sizes]
            masks = [0]
            if s.pending is not None and not session:
                eligible = self.get_bit_eligible(s)
                masks = [b for b in range(eligible + 1) if b & ~eligible == 0]
            for bits in masks:
                for kind, size in kinds:
                    yield Block(session, bits, kind, size, backers if kind is not None else 0)


def test_explorer_choices_lose_no_state():
    """Trying every choice reaches exactly the states of the machine's own pruned choices
    (pinned for trio in tests/manifest.toml)."""
    m = _EveryChoice(build(M, "trio").config)
    r = Checker(m).run()
    mine = Checker(build(M, "trio")).run()
    assert r.complete and mine.complete and r.states == mine.states == 4_324
