"""Scenario tests of the runtime behaviours polkadot-sdk settles (issue 13, item 3), each
restating the facts of a polkadot-sdk runtime unit test or function in
``polkadot/runtime/parachains/src/`` (written from the facts, not copied), under the reading
the decision gives: where the seeds are silent under both readings, where they are explicit
under ``reading=sdk`` only (and the seed reading is checked to differ).
"""

from __future__ import annotations

import attrs
import pytest

from paraspec.checker.registry import UsageError, build, load_all
from paraspec.checker.runtime_scenario import run_scenario
from paraspec.model.config import HARD_LIMITS
from paraspec.model.core import Rejected
from paraspec.model.disputes import Block, Build, DisputesState, Record, Side, Tick, Vote, is_sdk_freeze_triggered
from paraspec.model.disputes import Phase as DspPhase
from paraspec.model.escalation import INVALID_OUTCOMES, AttestByzantine, AttestHonest, EscalationState
from paraspec.model.escalation import Phase as EscPhase
from paraspec.model.escalation import Side as EscSide
from paraspec.model.readings import READINGS
from paraspec.model.runtime.configuration import ConfigurationState, SetConfiguration
from paraspec.model.runtime.scheduler import CoreOccupied, SchedulerState

load_all()


# -- CFG-6, decision CFG-D7: configuration.rs check_consistency --------------------------------------

@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("member", sorted(HARD_LIMITS))
def test_a_size_limit_above_its_hard_limit_is_refused_at_it_accepted(reading, member):
    m = build("configuration", overrides={"reading": reading})
    cs = ConfigurationState(current=m.config)
    limit = HARD_LIMITS[member]
    at = m.set_configuration(cs, SetConfiguration(member, limit), 0)
    assert getattr(at.pending[-1][1], member) == limit
    with pytest.raises(Rejected) as e:
        m.set_configuration(at, SetConfiguration(member, limit + 1), 0)
    assert e.value.rule_id == "CFG-6"


def test_a_preset_override_above_a_hard_limit_is_one_line():
    with pytest.raises(UsageError) as e:
        build("configuration", overrides={"max_head_data_size": str(HARD_LIMITS["max_head_data_size"] + 1)})
    assert "CFG-6" in str(e.value) and "max_head_data_size" in str(e.value) and "\n" not in str(e.value)


# -- CFG-7, decision CFG-D1: configuration.rs schedule_config_update / initializer_on_new_session --------
# The facts of sdk's configuration tests `config_changes_after_2_session_boundary`,
# `consecutive_changes_within_one_session`, `pending_next_session_but_we_upgrade_once_more`,
# `scheduled_session_config_update_while_next_session_pending` and `initializer_on_new_session`: a setter
# in session 0 leaves the active configuration as it was and one pending configuration for session 2
# (current + SESSION_DELAY); it is still pending, not in force, after the change to session 1, and in force,
# with nothing pending, after the change to session 2. Setters of one session merge into one pending
# configuration. A setter in session 1, while a configuration is pending for session 2, schedules a second
# one for session 3 built on the first; the change to session 2 puts the first in force and keeps the
# second, the change to session 3 puts the second in force. Under the seeds' reading ([IG §2.5.3]) a
# change takes effect at the next session change.

def _config_run(reading: str, steps: list) -> list:
    """The `configuration` machine's storage after each step (a SetConfiguration or a session change)."""
    from paraspec.model.runtime.configuration import ConfigSessionChange

    m = build("configuration", overrides={"reading": reading})
    s = next(iter(m.init()))
    out = []
    for a in steps:
        s = m.step(s, ConfigSessionChange() if a == "session change" else a)
        assert not isinstance(s, Rejected), a
        out.append(s.storage)
    return out


def _evolve(cfg, **changes):
    return attrs.evolve(cfg, **changes)


@pytest.mark.parametrize("reading, delay", [("sdk", 2), ("seed", 1)])
def test_a_config_change_takes_effect_at_the_session_its_reading_names(reading, delay):
    genesis = build("configuration", overrides={"reading": reading}).config
    want = _evolve(genesis, validation_upgrade_delay=100)
    set_, first, second = _config_run(reading, [SetConfiguration("validation_upgrade_delay", 100),
                                                "session change", "session change"])
    assert set_.current == genesis and set_.pending == ((delay, want),)
    if reading == "sdk":  # one session passed: still waiting
        assert first.current == genesis and first.pending == ((2, want),)
    else:
        assert first.current == want and first.pending == ()
    assert second.current == want and second.pending == ()


@pytest.mark.parametrize("reading, delay", [("sdk", 2), ("seed", 1)])
def test_consecutive_changes_within_one_session_merge(reading, delay):
    genesis = build("configuration", overrides={"reading": reading}).config
    want = _evolve(genesis, validation_upgrade_delay=100, validation_upgrade_frequency=100)
    *_, both, _, last = _config_run(reading, [SetConfiguration("validation_upgrade_delay", 100),
                                              SetConfiguration("validation_upgrade_frequency", 100),
                                              "session change", "session change"])
    assert both.current == genesis and both.pending == ((delay, want),)
    assert last.current == want and last.pending == ()


@pytest.mark.parametrize("setters", [
    [SetConfiguration("validation_upgrade_frequency", 99)],  # pending_next_session_but_we_upgrade_once_more
    [SetConfiguration("validation_upgrade_frequency", 99), SetConfiguration("acceptance_period", 98)],
], ids=["one_more", "two_more_merged"])
def test_a_change_while_one_is_pending_for_the_next_session_is_scheduled_after_it_under_sdk(setters):
    genesis = build("configuration", overrides={"reading": "sdk"}).config
    intermediate = _evolve(genesis, validation_upgrade_delay=100)
    final = _evolve(intermediate, **{a.member: a.value for a in setters})
    run = _config_run("sdk", [SetConfiguration("validation_upgrade_delay", 100), "session change", *setters,
                              "session change", "session change"])
    scheduled, at_2, at_3 = run[-3], run[-2], run[-1]
    assert scheduled.current == genesis and scheduled.pending == ((2, intermediate), (3, final))
    assert at_2.current == intermediate and at_2.pending == ((3, final),)
    assert at_3.current == final and at_3.pending == ()
    # the seeds' reading: the second change builds on the first, already in force, and is due next
    seed = _config_run("seed", [SetConfiguration("validation_upgrade_delay", 100), "session change", *setters])
    assert seed[-1].current.validation_upgrade_delay == 100 and [at for at, _ in seed[-1].pending] == [2]


@pytest.mark.parametrize("reading, in_force_at", [("sdk", 3), ("seed", 2)])
def test_the_runtime_puts_a_setter_in_force_at_the_session_change_its_reading_names(reading, in_force_at):
    """The composed runtime: a setter in block 1 (session 0), session changes in blocks 2 and 3; the
    notification's configuration changes in the block `in_force_at` only."""
    doc = {"preset": "tiny", "blocks": [
        {"calls": [{"call": "set_configuration", "member": "group_rotation_frequency", "value": 4}]},
        dict(_SC), dict(_SC)]}
    out = run_scenario(doc, reading=reading, every_state=True)
    assert all(b["outcome"] == "ok" for b in out["blocks"])
    for b in out["blocks"]:
        cfg = b["state"]["configuration"]
        assert (cfg["current"]["group_rotation_frequency"] == 4) == (b["number"] >= in_force_at), b["number"]
        assert [at for at, _ in cfg["pending"]] == ([] if b["number"] >= in_force_at else [1 + (reading == "sdk")])


def test_the_config_delay_mutants_are_caught_by_their_properties():
    """Under sdk: `cfg_sdk_next_session` (the seed's delay kept) breaks
    `setter_pending_for_scheduled_session` on the first setter; `cfg_pending_applied_early` breaks
    `session_change_applies_pending` at the first session change after it."""
    from paraspec.model.runtime.configuration import ConfigSessionChange
    from paraspec.properties.core import MUTANTS, PROPERTIES

    sdk = build("configuration", overrides={"reading": "sdk"})
    setter = SetConfiguration("group_rotation_frequency", 2)
    for name, prop, steps in (("cfg_sdk_next_session", "setter_pending_for_scheduled_session", [setter]),
                              ("cfg_pending_applied_early", "session_change_applies_pending",
                               [setter, ConfigSessionChange()])):
        p = PROPERTIES["configuration"][prop]
        for cls, holds in ((sdk.__class__, True), (MUTANTS[name].cls, False)):
            m = cls(sdk.params)
            s = next(iter(m.init()))
            for a in steps[:-1]:
                s = m.step(s, a)
            assert bool(p.predicate(m, s, steps[-1], m.step(s, steps[-1]))) is holds, (name, cls)


# -- SCH-11 / SCH-14, decision SCH-D9: scheduler.rs availability_timeout_check_required ----------------
# The facts of sdk's scheduler test `availability_predicate_works`: a session started at block 1,
# rotation every f blocks, availability period p < f. At block 1 + p no timeout check is required;
# at the rotation block 1 + f it is, and a candidate pending since now - p times out while one
# pending since now - p + 1 (or since the rotation) does not; at 1 + f + p it is not required.
# The window is that of the next block: at block f, the last before the rotation, it is already
# required under sdk; the seeds' predicate ([IG §2.5.5]) measures from the block itself.

def _sched_and_cfg(reading: str):
    m = build("scheduler", overrides={"reading": reading, "group_rotation_frequency": 5,
                                      "chain_availability_period": 2, "thread_availability_period": 2})
    ss = SchedulerState(groups=((0,), (1,)), cores=(CoreOccupied(0), None), session_start=1)
    return m, ss, m.cfg


def test_sdk_timeout_check_and_predicate_as_in_availability_predicate_works():
    m, ss, cfg = _sched_and_cfg("sdk")
    f, p = cfg.group_rotation_frequency, cfg.chain_availability_period
    assert m.get_availability_timeout_predicate(ss, 1 + p, cfg) is None
    assert m.get_availability_timeout_predicate(ss, 1 + f + p, cfg) is None
    now = 1 + f
    pred = m.get_availability_timeout_predicate(ss, now, cfg)
    assert pred is not None
    assert pred(0, now - p) and not pred(0, now - p + 1) and not pred(0, now) and not pred(0, now - 1)


@pytest.mark.parametrize("reading, required", [("sdk", True), ("seed", False)])
def test_the_block_before_a_rotation_opens_the_window_under_sdk_only(reading, required):
    m, ss, cfg = _sched_and_cfg(reading)
    now = cfg.group_rotation_frequency  # the block before the rotation at 1 + f
    pred = m.get_availability_timeout_predicate(ss, now, cfg)
    assert (pred is not None) == required
    if required:
        assert pred(0, now - cfg.chain_availability_period)


@pytest.mark.parametrize("reading, freed_at", [("sdk", 9), ("seed", 10)])
def test_a_pending_candidate_times_out_in_the_block_before_the_rotation_under_sdk(reading, freed_at):
    """The composed runtime (``tiny``: rotation every 10 blocks from block 0, availability
    period 2): a candidate backed in block 1 and never made available is freed by the
    timeout in block 9 under sdk (``free_timedout`` once ``availability_timeout_check_required``
    holds for block 10), in block 10 under the seeds' window."""
    backed = {"backed_candidates": [{"para": 0, "head": 1, "backers": "group"}], "expect": "ok"}
    out = run_scenario({"preset": "tiny", "blocks": [backed] + [{"bitfields": []}] * 10}, reading=reading)
    freed = [b["number"] for b in out["blocks"] if "timed_out:0" in b["events"]]
    assert freed == [freed_at]
    assert all(b["outcome"] == "ok" for b in out["blocks"])


# -- DSP-13, decision DSP-D5: disputes.rs, revert and freeze at more than f against an included candidate --
# The facts of sdk's `process_checked_dispute_data`, `note_included` and their tests
# (`test_freeze_provided_against_byzantine_threshold_for_included`, `test_freeze_on_note_included`,
# `test_has_supermajority_against`): statements that take the votes against a candidate the chain
# included above the byzantine threshold f revert the chain to the block before the inclusion and
# freeze it in that block, before any conclusion; a candidate included while its dispute already has
# a supermajority against (at least n - f) is frozen at its inclusion. Under the seeds' reading the
# revert waits for the dispute window to close.

def _conclude_invalid_on_fork_a(reading: str):
    m = build("disputes", overrides={"reading": reading})
    s = [x for x in m.init() if not x.truth_valid][0]
    s = m.step(s, Build(Block.A1))  # A1 includes X
    s = m.step(s, Build(Block.A2))
    while s.records[0].outcome not in INVALID_OUTCOMES:
        vote = next(a for a in m.actions(s) if isinstance(a, Vote) and a.fork == 0 and a.side == Side.INVALID
                    and not (s.records[0].votes_against >> a.validator) & 1)
        s = m.step(s, vote)
    return m, s


def test_a_dispute_concluding_invalid_reverts_at_once_under_sdk():
    m, s = _conclude_invalid_on_fork_a("sdk")
    reverted = {b for b in Block if (s.reverted >> b) & 1}
    assert reverted == {Block.A1, Block.A2} and s.blacklisted


def _votes_against_x_on_fork_a(reading: str, count: int):
    m = build("disputes", overrides={"reading": reading})
    s = [x for x in m.init() if not x.truth_valid][0]
    s = m.step(s, Build(Block.A1))  # A1 includes X: the block before the inclusion is G
    s = m.step(s, Build(Block.A2))
    for v in range(count):  # honest validators 0, 1, ... state X invalid in one block's statements
        s = m.step(s, Vote(0, v, Side.INVALID))
    return m, s


def test_more_than_f_against_an_included_candidate_reverts_before_the_conclusion_under_sdk():
    m, s = _votes_against_x_on_fork_a("sdk", 1)  # n = 4, f = 1: one vote against is not enough
    assert m.params.f == 1 and s.reverted == 0
    m, s = _votes_against_x_on_fork_a("sdk", 2)  # more than f against, no outcome yet (n - f = 3)
    assert s.records[0].outcome not in INVALID_OUTCOMES
    assert {b for b in Block if (s.reverted >> b) & 1} == {Block.A1, Block.A2}
    # the revert point is the block before the inclusion: G stays and B1 may still be built on it
    assert not isinstance(m.try_step(s, Build(Block.B1)), Rejected)
    # X is blacklisted only when the dispute concludes against it (`concluded_invalid`)
    assert not s.blacklisted
    s = m.step(s, Vote(0, 2, Side.INVALID))
    assert s.records[0].outcome in INVALID_OUTCOMES and s.blacklisted


def test_under_the_seed_reading_more_than_f_against_reverts_nothing():
    m, s = _votes_against_x_on_fork_a("seed", 2)
    assert s.reverted == 0 and not s.blacklisted


def test_the_sdk_freeze_trigger_of_statements_and_of_inclusion():
    # statements: the votes against newly exceed f (AGAINST_BYZANTINE newly set), whatever the outcome
    assert is_sdk_freeze_triggered(4, 1, 2) and not is_sdk_freeze_triggered(4, 0, 1)
    assert not is_sdk_freeze_triggered(4, 2, 3)  # already above f: the flag is not new
    assert is_sdk_freeze_triggered(7, 2, 3) and not is_sdk_freeze_triggered(7, 1, 2)
    # two validators (f = 0), both against an included candidate, in one block: frozen at once
    assert is_sdk_freeze_triggered(2, 0, 2)
    # inclusion: frozen when the dispute already has a supermajority against (at least n - f)
    assert is_sdk_freeze_triggered(2, 0, 2, included_now=True)
    assert not is_sdk_freeze_triggered(2, 0, 1, included_now=True)
    assert not is_sdk_freeze_triggered(8, 0, 5, included_now=True)  # 5 of 8 is not n - f = 6
    assert is_sdk_freeze_triggered(8, 0, 6, included_now=True)


def test_inclusion_with_a_supermajority_against_reverts_at_once_under_sdk():
    # sdk's note_included: the dispute already holds n - f = 3 votes against when B1 includes X. The
    # model's forks never hold a record before X's inclusion, so the state is built by hand: this
    # checks the machine's inclusion path, which exploration cannot reach.
    for reading, want in (("sdk", {Block.B1}), ("seed", set())):
        m = build("disputes", overrides={"reading": reading})
        s = DisputesState(truth_valid=False, byzantine=True, built=(1 << Block.G) | (1 << Block.A1),
                          records=(Record(), Record(phase=DspPhase.OPEN, votes_against=0b0111)))
        t = m.step(s, Build(Block.B1, True))
        assert {b for b in Block if (t.reverted >> b) & 1} == want, reading
        one_short = attrs.evolve(s, records=(Record(), Record(phase=DspPhase.OPEN, votes_against=0b0011)))
        assert m.step(one_short, Build(Block.B1, True)).reverted == 0, reading


def test_under_the_seed_reading_the_revert_waits_for_the_window():
    m, s = _conclude_invalid_on_fork_a("seed")
    assert s.reverted == 0 and not s.blacklisted
    ticks = 0
    while ticks <= m.params.window:
        t = m.try_step(s, Tick())
        if isinstance(t, Rejected):  # DSP-12: a due honest statement first
            t = m.step(s, next(a for a in m.actions(s) if isinstance(a, Vote) and a.side == Side.INVALID))
        else:
            ticks += 1
        s = t
    assert {b for b in Block if (s.reverted >> b) & 1} == {Block.A1, Block.A2} and s.blacklisted


# -- PAR-10, decision PAR-D8: paras/mod.rs ActionsQueue, session + SESSION_DELAY --------------------------
# The facts of sdk's paras tests `para_incoming_at_session` and `full_parachain_cleanup_storage`:
# three paras registered in one session (two parachains, one parathread) stay `Onboarding`, outside
# `Parachains`, through a block without a session change, and are queued for the scheduled session
# (current + 2); they are live, with their genesis code, only once two session changes have passed.
# A cleanup scheduled in a block is applied at the second session change after it: the para's head
# and code are gone and its code is past code replaced at that block (expected_at = activated_at).
# Under the seeds' reading ([IG §2.5.4]) both take effect at the next session change.

_SC = {"session_change": {"validators": [0, 1, 2, 3]}}


def _paras_after(reading: str, calls: list[dict], blocks: list[dict]) -> list[dict]:
    doc = {"preset": "tiny", "blocks": [{"calls": calls}] + blocks}
    out = run_scenario(doc, reading=reading, every_state=True)
    assert all(b["outcome"] == "ok" for b in out["blocks"])
    return [dict(b["state"]["paras"], number=b["number"], events=b["events"]) for b in out["blocks"]]


_REGISTER = [{"call": "register_para", "para": 9, "parachain": True, "code": 91},
             {"call": "register_para", "para": 8, "parachain": False, "code": 81},
             {"call": "register_para", "para": 7, "parachain": True, "code": 71}]


def test_registered_paras_go_live_after_two_session_changes_under_sdk():
    after = _paras_after("sdk", _REGISTER, [{"bitfields": []}, dict(_SC), dict(_SC)])
    registered, quiet, first, second = after
    for ps in (registered, quiet, first):
        assert ps["parachains"] == [0, 1] and ps["parathreads"] == []
        assert sorted(ps["upcoming"]) == ["7", "8", "9"]
        assert ps["actions_queue"] == [[2, 7], [2, 8], [2, 9]]  # session 0 + SESSION_DELAY
    assert second["parachains"] == [0, 1, 7, 9] and second["parathreads"] == [8]
    assert second["upcoming"] == {} and second["actions_queue"] == []
    assert {p: second["code"][p] for p in ("7", "8", "9")} == {"7": 71, "8": 81, "9": 91}


def test_registered_paras_go_live_at_the_next_session_change_under_seed():
    registered, first = _paras_after("seed", _REGISTER, [dict(_SC)])
    assert registered["actions_queue"] == [[1, 7], [1, 8], [1, 9]]
    assert first["parachains"] == [0, 1, 7, 9] and first["parathreads"] == [8] and first["upcoming"] == {}


@pytest.mark.parametrize("reading, removed_at", [("sdk", 3), ("seed", 2)])
def test_a_cleanup_takes_effect_at_the_session_its_reading_names(reading, removed_at):
    """Cleanup of parachain 1 (of the genesis parachains 0 and 1) in block 1; session changes in
    blocks 2 and 3."""
    after = _paras_after(reading, [{"call": "deregister_para", "para": 1}], [dict(_SC), dict(_SC)])
    for ps in after:
        gone = ps["number"] >= removed_at
        assert (1 in ps["parachains"]) == (not gone)
        assert ("1" in ps["heads"], "1" in ps["code"]) == (not gone, not gone)
        assert (ps["outgoing"] == [1]) == (not gone)
    last = after[-1]
    assert last["past_code"] == {f"1@{removed_at}": 101}  # the cleaned-up code, replaced at that block
    assert [1, removed_at] in last["past_code_pruning"]


@pytest.mark.parametrize("reading", READINGS)
def test_no_registration_of_an_offboarding_para_nor_cleanup_of_an_onboarding_one(reading):
    """sdk: `schedule_para_initialize` needs no lifecycle (CannotOnboard), `schedule_para_cleanup`
    a stable one (CannotOffboard for `Onboarding`)."""
    calls = [{"call": "deregister_para", "para": 1}, {"call": "register_para", "para": 1},
             {"call": "register_para", "para": 5}, {"call": "deregister_para", "para": 5}]
    (ps,) = _paras_after(reading, calls, [])
    assert [e for e in ps["events"] if e.startswith("call")] == [
        "call:DeregisterPara", "call_failed:RegisterPara:PAR-1", "call:RegisterPara", "call_failed:DeregisterPara:PAR-2"]
    assert ps["outgoing"] == [1] and sorted(ps["upcoming"]) == ["5"]


@pytest.mark.parametrize("reading, event", [("sdk", "call:DeregisterPara"), ("seed", "call_failed:DeregisterPara:PAR-2")])
def test_cleanup_of_a_para_with_no_lifecycle_is_a_no_op_under_sdk(reading, event):
    """sdk `schedule_para_cleanup`: "no-op if para is not registered at all" (`Ok`, nothing queued;
    decision PAR-D9); the seed reading refuses it (PAR-2). Para 6 was never registered; para 1 is
    cleaned up and then, once removed, cleaned up again."""
    (ps,) = _paras_after(reading, [{"call": "deregister_para", "para": 6}], [])
    assert [e for e in ps["events"] if e.startswith("call")] == [event]
    assert ps["outgoing"] == [] and ps["actions_queue"] == []
    delay = 2 if reading == "sdk" else 1
    after = _paras_after(reading, [{"call": "deregister_para", "para": 1}],
                         [dict(_SC)] * delay + [{"calls": [{"call": "deregister_para", "para": 1}]}])
    assert 1 not in after[-1]["parachains"]
    assert [e for e in after[-1]["events"] if e.startswith("call")] == [event]
    assert after[-1]["outgoing"] == [] and after[-1]["actions_queue"] == []


def test_the_sdk_delay_mutant_is_caught_by_its_property():
    """The `paras` machine under sdk: `par_sdk_next_session` (the seed's delay kept) breaks
    `paras_change_at_session_delay` on the first registration it explores."""
    from paraspec.model.runtime.paras import ParasBlock, RegisterPara
    from paraspec.properties.core import MUTANTS, PROPERTIES

    prop = PROPERTIES["paras"]["paras_change_at_session_delay"]
    for cls, holds in ((build("paras", overrides={"reading": "sdk"}).__class__, True),
                       (MUTANTS["par_sdk_next_session"].cls, False)):
        m = cls(build("paras", overrides={"reading": "sdk"}).params)
        s = next(iter(m.init()))
        a = ParasBlock(call=RegisterPara(2, parachain=True, head=0, code=102))
        assert bool(prop.predicate(m, s, a, m.step(s, a))) is holds
# -- INC-22, decision INC-D28: inclusion/mod.rs enact_candidate, paras/mod.rs proceed_with_upgrade -------
# The facts: sdk's `enact_candidate` hands `paras::schedule_code_upgrade` the number of the block that
# includes (enacts) the candidate, and `proceed_with_upgrade` sets `expected_at` to that block plus
# `validation_upgrade_delay` (and at least `now + minimum_validation_upgrade_delay`, the pre-check's
# acceptance; no pre-check on this path here, CFG-D6). `note_new_head` applies the upgrade with the first
# head whose relay parent is at or after `expected_at`; the replaced code is pruned once
# `code_retention_period` has passed. The seeds ([IG §2.5.6]) count the delay from the relay parent.

def _upgrade_run(reading: str, delay: int, enact_in: int, blocks: int) -> list[dict]:
    """Para 0's candidate carries code 500 in block 1 (relay parent 0) and is made available in block
    ``enact_in``; from then on every block makes para 0's pending candidate available and backs the next."""
    doc = {"preset": "tiny",
           "genesis": {"config": {"validation_upgrade_delay": delay, "validation_upgrade_frequency": 2,
                                  "acceptance_period": 0, "chain_availability_period": 4,
                                  "group_rotation_frequency": 10},
                       "paras": [{"id": 0, "parachain": True, "head": 0, "code": 100}]},
           "blocks": [{"backed_candidates": [{"para": 0, "head": 1, "backers": "group", "new_code": 500}]}]}
    head = 1
    for n in range(2, blocks + 1):
        block: dict = {}
        if n >= enact_in:
            head += 1
            block = {"bitfields": [{"validators": "all", "bits": "1"}],
                     "backed_candidates": [{"para": 0, "head": head, "backers": "group"}]}
        doc["blocks"].append(block)
    out = run_scenario(doc, reading=reading, every_state=True)
    assert all(b["outcome"] == "ok" for b in out["blocks"]), [b.get("reason") for b in out["blocks"]]
    return [dict(b["state"]["paras"], number=b["number"], events=b.get("events", [])) for b in out["blocks"]]


def _expected_at(reading: str, enact_in: int, delay: int) -> int:
    return (enact_in if reading == "sdk" else 0) + delay


@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("delay, enact_in", [(2, 2), (3, 2), (2, 3)])
def test_expected_at_counts_from_the_reading_s_block(reading, delay, enact_in):
    """sdk: `expected_at` = the enacting block + delay; seed: the relay parent (0) + delay. The upgrade
    is applied by the candidate enacted in the block after the first relay parent >= expected_at, and the
    old code pruned in the block after that (code_retention_period 0)."""
    expected_at = _expected_at(reading, enact_in, delay)
    applied_in, pruned_in = expected_at + 2, expected_at + 3
    after = _upgrade_run(reading, delay, enact_in, blocks=pruned_in)
    for ps in after:
        n = ps["number"]
        assert ps["future_code_upgrades"] == ({"0": expected_at} if enact_in <= n < applied_in else {}), n
        assert ps["code"]["0"] == (500 if n >= applied_in else 100), n
        assert ps["past_code"] == ({f"0@{expected_at}": 100} if n == applied_in else {}), n
    assert f"enacted:0" in after[enact_in - 1]["events"]
    # PAR-7, decision PAR-D7: the pruned replacement's expected_at (seed), its activation (sdk)
    assert after[-1]["past_code_meta"]["0"]["last_pruned"] == (applied_in if reading == "sdk" else expected_at)


def test_under_sdk_an_upgrade_applies_in_block_6_and_is_pruned_in_block_7():
    """The smallest sdk configuration (validation_upgrade_delay 2, sdk's `check_consistency` refusing
    less): signalled in block 1, enacted in block 2, expected at 4, applied in 6, pruned in 7 (the
    `runtime` machine explores these two blocks past its five under sdk, RT-D4)."""
    after = _upgrade_run("sdk", 2, 2, blocks=7)
    assert [ps["number"] for ps in after if ps["code"]["0"] == 500][0] == 6
    assert after[5]["past_code"] == {"0@4": 100} and after[6]["past_code"] == {}


def test_the_sdk_expected_at_mutant_is_caught_by_its_property():
    """The `runtime` machine under sdk: `rt_sdk_upgrade_from_relay_parent` (the seed's count kept)
    breaks `upgrade_scheduled_at_enactment` when the upgrade candidate is enacted."""
    from paraspec.properties.core import MUTANTS, PROPERTIES

    prop = PROPERTIES["runtime"]["upgrade_scheduled_at_enactment"]
    params = build("runtime", overrides={"reading": "sdk"}).params
    for cls, holds in ((build("runtime", overrides={"reading": "sdk"}).__class__, True),
                       (MUTANTS["rt_sdk_upgrade_from_relay_parent"].cls, False)):
        m = cls(params)
        s = next(iter(m.init()))
        a = next(a for a in m.actions(s) if a.session_change is None and not a.calls and a.inherents
                 and any(c.new_code is not None for c in a.inherents[0].backed))
        s = m.step(s, a)
        a = next(a for a in m.actions(s) if a.session_change is None and not a.calls and a.inherents
                 and len(a.inherents[0].bitfields) == len(s.validators))
        t = m.step(s, a)
        assert "enacted:0" in t.events
        assert bool(prop.predicate(m, s, a, t)) is holds


# -- PAR-7, PAR-6, decision PAR-D7: paras/mod.rs ParaPastCodeMeta::prune_up_to and code_at ---------------
# The facts of sdk's paras tests `para_past_code_pruning_works_correctly` and
# `para_past_code_meta_gives_right_code` (of the period when `prune_up_to` first recorded the activation):
# with replacements (expected_at, activated_at) = (10, 10), (20, 25), (30, 35), pruning up to block 9
# prunes nothing, up to 10 leaves `last_pruned` 10, up to 21 nothing more, up to 26 leaves 25 with
# (30, 35) kept; after (40, 42), (50, 53), (60, 66), pruning up to 60 leaves 53 with (60, 66) kept, and up
# to 66 leaves 66 with nothing kept. `code_at` gives a replacement's old code to the contexts before its
# activation: with (10, 12) the contexts 10 and 11 use the code replaced at 10, 12 the current code; with
# (20, 25) too, 12 and 24 use the code replaced at 20 and 25 the current code. Pruning "up to m" is PAR-7's
# pruning at the initialization of block m + 1 with acceptance_period 0; the seeds' reading records
# expected_at and switches code at it ([IG §2.5.4] UseCodeAt).

def _paras_module(reading: str):
    return build("paras", overrides={"reading": reading})


def _with_replacements(m, ps, times):
    for expected_at, activated_at in times:
        ps = m.note_past_code(ps, 0, expected_at, activated_at, 1000 + expected_at)
    return ps


def _prune_up_to(m, ps, block: int):
    return m.process_paras_initialize(ps, block + 1, 0)


@pytest.mark.parametrize("reading", READINGS)
def test_last_pruned_records_the_reading_s_block_of_the_last_pruned_replacement(reading):
    from paraspec.model.runtime.common import mget
    from paraspec.model.runtime.paras import ParasState

    m = _paras_module(reading)
    sdk = reading == "sdk"
    ps = ParasState(parachains=(0,), heads=((0, 0),), code=((0, 1),))
    ps = _with_replacements(m, ps, [(10, 10), (20, 25), (30, 35)])

    def meta(ps):
        mt = mget(ps.past_code_meta, 0)
        return [(t.expected_at, t.activated_at) for t in mt.upgrade_times], mt.last_pruned

    assert _prune_up_to(m, ps, 9) == ps
    ps = _prune_up_to(m, ps, 10)
    assert meta(ps) == ([(20, 25), (30, 35)], 10)
    assert _prune_up_to(m, ps, 21) == ps
    ps = _prune_up_to(m, ps, 26)
    assert meta(ps) == ([(30, 35)], 25 if sdk else 20)
    ps = _with_replacements(m, ps, [(40, 42), (50, 53), (60, 66)])
    ps = _prune_up_to(m, ps, 60)
    assert meta(ps) == ([(60, 66)], 53 if sdk else 50)
    assert mget(ps.past_code, (0, 60)) == 1060 and mget(ps.past_code, (0, 50)) is None
    ps = _prune_up_to(m, ps, 66)
    assert meta(ps) == ([], 66 if sdk else 60)


@pytest.mark.parametrize("reading", READINGS)
def test_a_replacement_covers_the_contexts_its_reading_names(reading):
    """sdk: the contexts before activated_at; seed: those at or before expected_at."""
    from paraspec.model.runtime.paras import ParasState

    m = _paras_module(reading)
    sdk = reading == "sdk"
    ps = ParasState(parachains=(0,), heads=((0, 0),), code=((0, 1),))
    ps = _with_replacements(m, ps, [(10, 12)])
    code = lambda at: m.get_validation_code_at(ps, 0, at)  # noqa: E731
    assert (code(0), code(10), code(11), code(12)) == (1010, 1010, 1010 if sdk else 1, 1)
    ps = _with_replacements(m, ps, [(20, 25)])
    assert (code(1), code(10), code(11), code(12), code(20), code(24), code(25)) == \
        ((1010, 1010, 1010, 1020, 1020, 1020, 1) if sdk else (1010, 1010, 1020, 1020, 1020, 1, 1))
    # the first replacement pruned (up to 12): its contexts get nothing, the next code stays
    ps = _prune_up_to(m, ps, 12)
    assert [code(at) for at in (1, 10, 11, 12, 24, 25)] == \
        ([None, None, None, 1020, 1020, 1] if sdk else [None, None, 1020, 1020, 1, 1])


def test_the_sdk_last_pruned_mutant_is_caught_by_its_property():
    """The `paras` machine under sdk: `par_sdk_last_pruned_expected_at` (the seed's record kept) breaks
    `last_pruned_records_the_reading_s_block` once an upgrade applied late is pruned."""
    from paraspec.properties.core import MUTANTS, PROPERTIES

    prop = PROPERTIES["paras"]["last_pruned_records_the_reading_s_block"]
    params = build("paras", overrides={"reading": "sdk"}).params
    for cls, holds in ((build("paras", overrides={"reading": "sdk"}).__class__, True),
                       (MUTANTS["par_sdk_last_pruned_expected_at"].cls, False)):
        m = cls(params)
        ps = _with_replacements(m, next(iter(m.init())).paras, [(3, 4)])
        s = next(iter(m.init()))
        s = type(s)(m.process_paras_initialize(ps, 6, m.acceptance_period), 6, s.sessions, s.codes)
        assert bool(prop.predicate(m, s)) is holds


# -- DSP-14, decision DSP-D3: disputes.rs process_checked_dispute_data / filter_dispute_data ---------
# The facts of sdk's `test_provide_multi_dispute_is_providing`: with a new session at every block, a
# statement set for a candidate of session 1 (its backing vote and an explicit invalid vote) is processed
# in session 2. A set is refused as `AncientDisputeStatement` once its session's validators are no longer
# kept: `session_info.rs` keeps the sessions from `current - dispute_period` on (with dispute_period = 3,
# as in sdk's `test_initializer_on_new_session`, a set of 3 sessions back is kept, 4 back is not). The
# seeds keep the candidate's validators on duty one session after it (DSP-9), which `seed` keeps.

def _escalation_in_session(reading: str, session: int, dispute_period: int = 3):
    # dispute_period is read under sdk only (under seed another value is refused, CFG-2)
    period = {"dispute_period": dispute_period} if reading == "sdk" else {}
    m = build("escalation", overrides={"reading": reading, **period})
    s = EscalationState(truth_valid=False, byzantine=2, obtainable=True, byz_valid=1, session=session)
    return m, s


@pytest.mark.parametrize("reading", READINGS)
def test_a_statement_of_the_previous_session_is_accepted(reading):
    m, s = _escalation_in_session(reading, 1)
    t = m.step(s, AttestHonest(0))
    assert t.honest_invalid == 1 and t.phase == EscPhase.ESCALATED


@pytest.mark.parametrize("back", [2, 3])
def test_statements_within_dispute_period_are_accepted_under_sdk_only(back):
    m, s = _escalation_in_session("sdk", back)
    assert m.step(s, AttestHonest(0)).honest_invalid == 1
    assert m.step(s, AttestByzantine(EscSide.INVALID)).byz_invalid == 1
    seed, s = _escalation_in_session("seed", back)
    for a in (AttestHonest(0), AttestByzantine(EscSide.INVALID)):
        with pytest.raises(Rejected) as e:
            seed.step(s, a)
        assert e.value.rule_id == "DSP-9"


def test_a_statement_older_than_dispute_period_is_ancient_under_sdk():
    m, s = _escalation_in_session("sdk", 4)
    for a in (AttestHonest(0), AttestByzantine(EscSide.INVALID)):
        with pytest.raises(Rejected) as e:
            m.step(s, a)
        assert e.value.rule_id == "DSP-14"


def test_sdk_default_dispute_period_and_the_explored_sessions():
    m = build("escalation", overrides={"reading": "sdk"})
    assert m.params.dispute_period == 6 and m.duty_sessions() == 6 and m.session_bound() == 7
    assert build("escalation").session_bound() == 2  # seed: one session of duty, one past it
