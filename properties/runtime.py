"""Properties and mutants of the composed ``runtime`` machine.

Rules of spec/initializer.md (INI), spec/runtime.md (RT), spec/inclusion_runtime.md
(INC-20 ..) and, across modules, of the Configuration, Paras and Scheduler specs.
Every action is a whole relay block (:class:`model.runtime.RelayBlock`); the ghost
``events`` of a state list what the modules did in the last block, in order.
"""

from __future__ import annotations

import functools

import attrs

from paraspec.model.availability import SignBitfield
from paraspec.model.core import Rejected
from paraspec.model.escalation import INVALID_OUTCOMES
from paraspec.model.readings import is_sdk
from paraspec.model.groups import partition
from paraspec.model.runtime.common import compute_shuffle, mget, mhas, replace
from paraspec.model.runtime.runtime import INHERENT_STEPS, INIT_ORDER, InclusionInherent, RelayBlock, RuntimeMachine
from paraspec.model.thresholds import is_backable, is_byzantine_exceeded, is_more_than_two_thirds, is_supermajority

from .core import always, mutant, sometimes, transition
from .configuration import _consistent
from .configuration import spec_session_delay as spec_config_delay
from .paras import code_history_agrees, pruned_codes_absent, some_pruned
from .scheduler import group_sizes_as_seeded, groups_partition, rotation_is_bijective, timeout_window_block

M = "runtime"

#: the rules a failing extrinsic can break (RT-3: it fails alone)
CALL_RULES = {"CFG-1", "CFG-2", "CFG-3", "PAR-1", "PAR-2", "SCH-7", "SCH-8", "RT-3"}

#: the phases of a block, in order (RT-1)
PHASES = {"session_change": 0, "initialize": 1, "inherent": 2, "enacted": 2, "timed_out": 2,
          "dispute_initiated": 2, "dispute_concluded": 2, "dispute_freed": 2,
          "call": 3, "call_failed": 3, "finalize": 4}


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


@functools.lru_cache(maxsize=4096)
def _parse_events(events: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in events:
        kind, _, arg = e.partition(":")
        out.setdefault(kind, []).append(arg)
    return out


@functools.lru_cache(maxsize=4096)
def _event_kinds(events: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(e.partition(":")[0] for e in events)


def _events(t, kind: str) -> list[str]:
    return _parse_events(t.events).get(kind, [])


def _paras(t, kind: str) -> list[int]:
    return [int(x) for x in _events(t, kind)]


def _inherent(a) -> InclusionInherent:
    return a.inherents[0] if a.inherents else InclusionInherent()


def _cfg(t):
    return t.configuration.current


# -- Initializer and block structure ------------------------------------------------------------


@transition(M, ["RT-1"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t) and bool(a.calls))
def block_phases_in_order(m, s, a, t):
    """A block runs the session change (if any), initialization, the inclusion
    inherent, the other extrinsics, then finalization, in that order; its number is
    one more than its parent's."""
    if not _accepted(t):
        return True
    ranks = [PHASES[k] for k in _event_kinds(t.events) if k != "revert"]  # a revert: initialize or inherent
    return ranks == sorted(ranks) and (a.session_change is None or 0 in ranks) and t.now == s.now + 1


@transition(M, ["INI-1", "INI-2"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t))
def initialization_in_order(m, s, a, t):
    """Every valid block initializes Configuration, Paras, Scheduler, Inclusion,
    Validity, once each and in that order."""
    return not _accepted(t) or tuple(_events(t, "initialize")) == INIT_ORDER


@transition(M, ["INI-4", "INC-29"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t))
def finalization_in_reverse_order(m, s, a, t):
    """Finalization runs the InclusionInherent's check, then the modules in the
    reverse of the initialization order, and ends the block."""
    if not _accepted(t):
        return True
    fin = _events(t, "finalize")
    n = len(fin)
    return fin == ["inclusion_inherent", *reversed(INIT_ORDER)] and _event_kinds(t.events)[-n:] == ("finalize",) * n


@transition(M, ["INI-3"], on=[RelayBlock], witness=lambda m, s, a, t: a.session_change_after_init)
def session_change_only_before_initialization(m, s, a, t):
    """A session change notified after the modules were initialized makes the block invalid."""
    return not a.session_change_after_init or (not _accepted(t) and t.rule_id == "INI-3")


@transition(M, ["INI-3", "INI-5"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t)
            and a.session_change is not None)
def session_change_notified_in_order(m, s, a, t):
    """A session change is forwarded to the modules in initialization order, before
    initialization, with the session's validators, queued validators, random seed, and
    the configuration before and after the change."""
    if not _accepted(t) or a.session_change is None:
        return True
    sc = a.session_change
    n = t.notification
    return (tuple(_events(t, "session_change")) == INIT_ORDER
            and n is not None and n.validators == sc.validators and n.queued == sc.queued
            and n.random_seed == sc.random_seed and n.prev_config == s.configuration.current
            and n.new_config == t.configuration.current and t.validators == sc.validators)


@always(M, ["INI-2", "RT-2"], witness=lambda m, s: s.now > 0)
def clean_between_blocks(m, s):
    """Between blocks nothing is initialized, the inherent's flag is clear and no core
    is left scheduled."""
    return not s.has_initialized and not s.included and s.scheduler.scheduled == ()


@transition(M, ["RT-3"], on=[RelayBlock], witness=lambda m, s, a, t: bool(a.calls) and (
    (_accepted(t) and bool(_events(t, "call_failed"))) or (not _accepted(t) and t.rule_id in CALL_RULES)))
def failing_call_fails_alone(m, s, a, t):
    """A failing extrinsic (a setter, a registration, a claim) fails alone: the block
    stays valid."""
    return _accepted(t) or t.rule_id not in CALL_RULES


# -- InclusionInherent -----------------------------------------------------------------------------


@transition(M, ["INC-29"], on=[RelayBlock], witness=lambda m, s, a, t: len(a.inherents) != 1)
def inherent_exactly_once(m, s, a, t):
    """Every valid block ran the inclusion inherent exactly once."""
    return not _accepted(t) or (len(a.inherents) == 1 and t.events.count("inherent:included") == 1)


def _timeout_window(t) -> bool:
    c = _cfg(t)
    since = (timeout_window_block(t.now, c) - t.scheduler.session_start) % c.group_rotation_frequency
    return since < max(c.chain_availability_period, c.thread_availability_period)


@transition(M, ["INC-30"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t) and _timeout_window(t))
def inherent_steps_in_order(m, s, a, t):
    """The inherent's steps run in the seed's order: bitfields, timeouts (only when the
    scheduler's predicate is Some), schedule, candidates, occupied, included."""
    if not _accepted(t):
        return True
    head = ["disputes"] if _inherent(a).disputes else []
    if t.frozen is not None and m.is_revert_at_conclusion(_cfg(t)):  # DSP-13: a frozen chain's inherent
        return _events(t, "inherent") == head + ["included"]
    expected = [x for x in INHERENT_STEPS if x != "collect_pending" or _timeout_window(t)]
    return _events(t, "inherent") == head + expected


def _well_formed_subset(bfs, n: int, cores: int) -> tuple:
    """The bitfields that pass AV-1 .. AV-4 in order, each later one above the last kept."""
    kept, last = [], -1
    for bf in bfs:
        if bf.signer == bf.validator and bf.length == cores and last < bf.validator < n \
                and 0 <= bf.bits < (1 << cores):
            kept.append(bf)
            last = bf.validator
    return tuple(kept)


def _sanitised_outcome_agrees(m, s, a, t) -> bool:
    """reading=sdk: a block has the outcome it has without its bad bitfields (INC-31)."""
    if a.session_change is not None or len(a.inherents) != 1:
        return True
    inh = a.inherents[0]
    good = _well_formed_subset(inh.bitfields, len(s.validators), len(s.scheduler.cores))
    if good == inh.bitfields:
        return True
    u = m.try_step(s, attrs.evolve(a, inherents=(attrs.evolve(inh, bitfields=good),)))
    if isinstance(u, Rejected) or isinstance(t, Rejected):
        return isinstance(u, Rejected) and isinstance(t, Rejected) and u.rule_id == t.rule_id
    return u == t


@transition(M, ["INC-20", "INC-31", "AV-1", "AV-2", "AV-3", "AV-4"], on=[RelayBlock],
            witness=lambda m, s, a, t: any(
    bf.signer != bf.validator or bf.length != len(s.scheduler.cores) or bf.validator >= len(s.validators)
    or any(x.validator >= y.validator for x, y in zip(inh.bitfields, inh.bitfields[1:]))
    for inh in a.inherents for bf in inh.bitfields))
def bitfields_well_formed(m, s, a, t):
    """Under reading=seed a valid block's bitfields come from distinct validators of the
    session in ascending order, each signed by its validator, one bit per core (INC-20).
    Under reading=sdk a bad bitfield costs that bitfield, not the block: the block has the
    outcome it has without its bad bitfields (INC-31, polkadot-sdk ``sanitize_bitfields``)."""
    if is_sdk(m.params):
        return _sanitised_outcome_agrees(m, s, a, t)
    if not _accepted(t):
        return True
    n, cores = len(t.validators), len(t.scheduler.cores)
    for inh in a.inherents:
        bfs = inh.bitfields
        if any(x.validator >= y.validator for x, y in zip(bfs, bfs[1:])):
            return False
        if any(bf.signer != bf.validator or bf.length != cores or not 0 <= bf.validator < n for bf in bfs):
            return False
    return True


def _votes_with_block(cpa, a) -> int:
    votes = cpa.votes
    for bf in _inherent(a).bitfields:
        if (bf.bits >> cpa.core) & 1:
            votes |= 1 << bf.validator
    return votes


@transition(M, ["INC-21", "INC-7", "AV-6"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t)
            and bool(_events(t, "enacted")))
def enacted_only_above_two_thirds(m, s, a, t):
    """A candidate is enacted only once more than 2/3 of the session's validators have
    set its bit."""
    if not _accepted(t):
        return True
    for p in _paras(t, "enacted"):
        cpa = mget(s.inclusion.pending, p)
        if cpa is None or not is_more_than_two_thirds(_votes_with_block(cpa, a).bit_count(), len(t.validators)):
            return False
    return True


@transition(M, ["SCH-11", "SCH-14", "INC-27", "INC-8"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t)
            and bool(_events(t, "timed_out")))
def timeouts_only_near_rotation(m, s, a, t):
    """A pending candidate times out only within its core kind's availability period of
    the last rotation (measured at the next block under ``reading=sdk``, SCH-14), and only
    after pending that long."""
    if not _accepted(t):
        return True
    c = _cfg(t)
    since = (timeout_window_block(t.now, c) - t.scheduler.session_start) % c.group_rotation_frequency
    for p in _paras(t, "timed_out"):
        cpa = mget(s.inclusion.pending, p)
        occ = s.scheduler.cores[cpa.core] if cpa is not None else None
        if occ is None:
            return False
        period = c.chain_availability_period if occ.entry is None else c.thread_availability_period
        if not (since < period and t.now - cpa.backed_in >= period):
            return False
    return True


def _new_pending(s, t):
    return [cpa for _, cpa in t.inclusion.pending if cpa.backed_in == t.now]


@transition(M, ["INC-3", "INC-4", "INC-25", "SCH-4"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t)
            and any(c.backed for c in a.inherents))
def backed_by_assigned_group(m, s, a, t):
    """A candidate becomes pending only if its statements come from the group the
    rotation assigns to its core in this block and meet the backing threshold."""
    if not _accepted(t):
        return True
    ss = t.scheduler
    c = _cfg(t)
    n = len(ss.groups)
    k = (t.now - ss.session_start) // c.group_rotation_frequency
    by_para = {cand.para: cand for cand in _inherent(a).backed}
    for cpa in _new_pending(s, t):
        cand = by_para.get(cpa.para)
        if cand is None or n == 0:
            return False
        group = ss.groups[(cpa.core + k) % n]
        if not set(cand.backers) <= set(group) or len(set(cand.backers)) != len(cand.backers):
            return False
        if not is_backable(len(cand.backers), len(group), c.backing_threshold, c.minimum_backing_votes):
            return False
    return True


@transition(M, ["INC-25"], on=[RelayBlock], witness=lambda m, s, a, t: any(
    cand.signers is not None and tuple(cand.signers) != tuple(cand.backers) for inh in a.inherents for cand in inh.backed))
def backing_statements_signed(m, s, a, t):
    """A block carrying a backing statement not signed by its validator is invalid."""
    forged = any(cand.signers is not None and tuple(cand.signers) != tuple(cand.backers)
                 for inh in a.inherents for cand in inh.backed)
    return not (forged and _accepted(t))


@transition(M, ["INC-23", "INC-26"], on=[RelayBlock], witness=lambda m, s, a, t: any(
    len(inh.backed) > 1 or any(not mhas(s.paras.heads, c.para) for c in inh.backed) for inh in a.inherents))
def candidates_in_order_on_scheduled_cores(m, s, a, t):
    """In a valid block the backed candidates are in ascending para order and each one
    is now pending availability with no votes, backed in this block on the parent block."""
    if not _accepted(t):
        return True
    backed = _inherent(a).backed
    if any(x.para >= y.para for x, y in zip(backed, backed[1:])):
        return False
    for cand in backed:
        cpa = mget(t.inclusion.pending, cand.para)
        if cpa is None or cpa.backed_in != t.now or cpa.relay_parent != t.now - 1 or cpa.votes != 0:
            return False
    return True


@transition(M, ["INC-22", "PAR-5"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t)
            and bool(_events(t, "enacted")))
def heads_change_only_by_enactment(m, s, a, t):
    """A para's head changes only when one of its candidates is enacted, to that
    candidate's head."""
    if not _accepted(t):
        return True
    enacted = set(_paras(t, "enacted"))
    for p, head in t.paras.heads:
        before = mget(s.paras.heads, p)
        if before is None:
            continue
        if p in enacted:
            if head != mget(s.inclusion.pending, p).head:
                return False
        elif head != before:
            return False
    return True


@transition(M, ["INC-22", "PAR-4"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t) and any(
    mget(s.inclusion.pending, p).new_code is not None for p in _paras(t, "enacted")))
def upgrade_scheduled_at_enactment(m, s, a, t):
    """Enacting a candidate that carries new code schedules it for
    ``validation_upgrade_delay`` blocks after the candidate's relay parent under
    reading=seed, after the block that enacts it under reading=sdk (INC-D28)."""
    if not _accepted(t):
        return True
    for p in _paras(t, "enacted"):
        cpa = mget(s.inclusion.pending, p)
        if cpa.new_code is None:
            continue
        base = t.now if is_sdk(_cfg(t)) else cpa.relay_parent
        if (mget(t.paras.future_code_upgrades, p), mget(t.paras.future_code, p)) != \
                (base + _cfg(t).validation_upgrade_delay, cpa.new_code):
            return False
    return True


def _last_applied_upgrade(ps, para):
    applied = [r.expected_at for r in ps.replacements if r.para == para and r.expected_at != r.activated_at]
    return applied[-1] if applied else None


@transition(M, ["INC-24"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t) and any(
    c.new_code is not None for inh in a.inherents for c in inh.backed))
def upgrades_respect_frequency(m, s, a, t):
    """A candidate carrying a code upgrade is accepted only while no upgrade is
    scheduled for its para, and with its relay parent at least
    ``validation_upgrade_frequency`` after the para's last applied upgrade."""
    if not _accepted(t):
        return True
    for cand in _inherent(a).backed:
        if cand.new_code is None:
            continue
        if mhas(t.paras.future_code_upgrades, cand.para):
            return False
        last = _last_applied_upgrade(t.paras, cand.para)
        if last is not None and t.now - 1 - last < _cfg(t).validation_upgrade_frequency:
            return False
    return True


# -- cross-module invariants --------------------------------------------------------------------------


@always(M, ["SCH-6", "INC-28"], witness=lambda m, s: s.session > 0 and bool(s.inclusion.pending))
def no_core_occupied_across_session_change(m, s):
    """Every candidate pending availability was backed in the current session."""
    return all(cpa.backed_in >= s.scheduler.session_start for _, cpa in s.inclusion.pending)


@always(M, ["SCH-9", "INC-26"], witness=lambda m, s: bool(s.inclusion.pending))
def cores_and_pending_agree(m, s):
    """A core is occupied exactly when a candidate of its para is pending on it."""
    occupied = {(i, o.para) for i, o in enumerate(s.scheduler.cores) if o is not None}
    return occupied == {(cpa.core, p) for p, cpa in s.inclusion.pending}


@always(M, ["SCH-1", "PAR-3"], witness=lambda m, s: len(s.scheduler.cores) != m.bounds.genesis.n_cores)
def cores_match_registered_paras(m, s):
    """There is one core per parachain, in parachain order, then the parathread cores."""
    ss, ps = s.scheduler, s.paras
    n = len(ps.parachains)
    if len(ss.cores) != n + _cfg(s).parathread_cores:
        return False
    for i, o in enumerate(ss.cores):
        if o is None:
            continue
        if i < n and (o.para != ps.parachains[i] or o.entry is not None):
            return False
        if i >= n and (o.entry is None or o.para not in ps.parathreads):
            return False
    return True


@always(M, ["SCH-2", "SCH-3"], witness=lambda m, s: len(s.validators) % max(len(s.scheduler.cores), 1) != 0)
def groups_partition_session_validators(m, s):
    """The groups are the seeded shuffle of the session's validators partitioned over
    the cores, the first ``V mod N`` one larger."""
    ss, v = s.scheduler, len(s.validators)
    return (groups_partition(ss.groups, v, len(ss.cores)) and group_sizes_as_seeded(ss.groups, v)
            and ss.groups == _seeded_groups(v, s.random_seed, len(ss.cores)))


@functools.lru_cache(maxsize=1024)
def _seeded_groups(n_validators: int, seed: int, n_cores: int):
    return partition(compute_shuffle(n_validators, seed), n_cores)


@always(M, ["SCH-4", "SCH-5"], witness=lambda m, s: m.get_rotations(s.scheduler, s.now, _cfg(s)) > 0)
def each_core_has_one_group(m, s):
    """At every block each core has exactly one group."""
    return rotation_is_bijective(m, s.scheduler, s.now, _cfg(s))


@transition(M, ["CFG-5"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t)
            and "call:SetConfiguration" in t.events)
def configuration_constant_within_session(m, s, a, t):
    """The configuration in force changes only in a block that starts a session."""
    return not _accepted(t) or a.session_change is not None or t.configuration.current == s.configuration.current


@transition(M, ["CFG-5", "CFG-7"], on=[RelayBlock],
            witness=lambda m, s, a, t: _accepted(t) and a.session_change is not None
            and any(at == s.session + 1 for at, _ in s.configuration.pending))
def configuration_in_force_at_its_session(m, s, a, t):
    """A configuration governance sets in session ``k`` comes into force at the start of
    session ``k + delay`` (1 under reading=seed, 2 under reading=sdk: CFG-7), not earlier:
    the session change that starts session ``n`` puts in force the configuration pending
    for ``n`` (the one in force stays when none is), and a block's accepted setter leaves
    its configuration pending for the block's session + delay."""
    if not _accepted(t):
        return True
    if a.session_change is not None:
        due = [c for at, c in s.configuration.pending if at == t.session]
        if t.configuration.current != (due[0] if due else s.configuration.current):
            return False
    if "call:SetConfiguration" in t.events:
        pending = t.configuration.pending
        return bool(pending) and pending[-1][0] == t.session + spec_config_delay(m)
    return True


@always(M, ["CFG-1"], witness=lambda m, s: bool(s.configuration.pending))
def configuration_consistent(m, s):
    """The configuration in force and every pending one are consistent."""
    cs = s.configuration
    return _consistent(cs.current) and all(_consistent(c) for _, c in cs.pending)


@always(M, ["PAR-8", "PAR-7", "PAR-9"], witness=lambda m, s: some_pruned(s.paras, s.now, _cfg(s).acceptance_period))
def pruned_code_never_returned(m, s):
    """Upgraded code is returned for the contexts it was in force while kept, and never
    once pruned."""
    acc = _cfg(s).acceptance_period
    return code_history_agrees(m, s.paras, s.now, acc) and pruned_codes_absent(m, s.paras, s.now, acc)


# -- reachability -------------------------------------------------------------------------------------------


@sometimes(M, ["PAR-5", "INC-22"])
def upgrade_applied_by_candidate(m, s):
    """A candidate's code upgrade is applied."""
    return any(r.expected_at != r.activated_at for r in s.paras.replacements)


@sometimes(M, ["PAR-7"])
def upgraded_code_pruned(m, s):
    """Code replaced by an upgrade is pruned."""
    return any(r.expected_at != r.activated_at and r.activated_at + _cfg(s).acceptance_period < s.now
               for r in s.paras.replacements)


@sometimes(M, ["INC-27"])
def candidate_timed_out(m, s):
    """A pending candidate times out."""
    return any(e.startswith("timed_out:") for e in s.events)


@sometimes(M, ["SCH-7", "INC-21"])
def parathread_candidate_enacted(m, s):
    """A parathread's candidate, backed on a claim, is enacted."""
    return any(e == f"enacted:{p}" for p in s.paras.parathreads for e in s.events)


@sometimes(M, ["INC-30"])
def core_freed_and_reoccupied_in_one_block(m, s):
    """A core whose candidate was enacted in a block takes a new candidate in the same block."""
    return any(cpa.backed_in == s.now and f"enacted:{p}" in s.events for p, cpa in s.inclusion.pending)


@sometimes(M, ["PAR-1", "SCH-1"])
def para_onboarded_with_its_core(m, s):
    """A para registered by governance is live with its own core after the session change."""
    return m.bounds.register_para in s.paras.parachains


def _invalid_disputes(t) -> list:
    return [k for k, d in t.disputes if d.outcome in INVALID_OUTCOMES]


@transition(M, ["INC-33"], on=[RelayBlock], witness=lambda m, s, a, t: _accepted(t) and bool(_invalid_disputes(t)))
def disputed_candidate_dropped_and_chain_reverted(m, s, a, t):
    """After a block, the chain has reverted to a block before the backing of every candidate
    whose dispute concluded invalid: under reading=sdk as soon as more than f validators voted
    against it (DSP-13, polkadot-sdk ``AGAINST_BYZANTINE``), from the next block on under seed
    (the window closes, DSP-7), where the candidate, if still pending availability, was dropped
    at the conclusion."""
    if not _accepted(t):
        return True
    sdk = is_sdk(_cfg(t))
    n = len(t.validators)
    keys = ([k for k, d in t.disputes if is_byzantine_exceeded(d.votes_against.bit_count(), n)] if sdk
            else _invalid_disputes(t))
    for sess, para, backed_in in keys:
        cpa = mget(t.inclusion.pending, para)
        if not sdk and cpa is not None and cpa.backed_in == backed_in:
            return False
        due = sdk or mget(t.disputes, (sess, para, backed_in)).concluded_at < t.now
        if due and (t.frozen is None or t.frozen >= backed_in):
            return False
    return True


def _set_ok(s, t, ds) -> bool:
    n = len(s.validators)
    known = (ds.session, ds.para, ds.backed_in) in s.disputable
    opened = mget(s.disputes, (ds.session, ds.para, ds.backed_in)) is not None
    return (known and s.session - 1 <= ds.session <= s.session and ds.valid | ds.invalid
            and not (ds.valid | ds.invalid) >> n and not ds.valid & ds.invalid and (opened or ds.invalid))


@transition(M, ["INC-32"], on=[RelayBlock], witness=lambda m, s, a, t: bool(_inherent(a).disputes))
def dispute_sets_well_formed(m, s, a, t):
    """A block is valid only if each of its dispute statement sets names a candidate the chain
    backed in the session or the one before, once, with statements of the session's validators,
    none on both sides, and states invalidity when it opens a dispute; its votes are recorded."""
    sets = _inherent(a).disputes
    if not _accepted(t) or a.session_change is not None:
        return True
    keys = [(d.session, d.para, d.backed_in) for d in sets]
    if len(set(keys)) != len(keys) or not all(_set_ok(s, t, ds) for ds in sets):
        return False
    for ds in sets:
        d = mget(t.disputes, (ds.session, ds.para, ds.backed_in))
        if d is None or d.votes_for & ds.valid != ds.valid or d.votes_against & ds.invalid != ds.invalid:
            return False
    return True


# -- mutants --------------------------------------------------------------------------------------------------


@mutant(M, "rt_init_order_swapped", kills=["initialization_in_order"])
class InitOrderSwapped(RuntimeMachine):
    """The Scheduler is initialized before Paras."""

    init_order = ("configuration", "scheduler", "paras", "inclusion", "validity")


@mutant(M, "rt_finalize_in_init_order", kills=["finalization_in_reverse_order"])
class FinalizeInInitOrder(RuntimeMachine):
    """Modules are finalized in initialization order."""

    def process_finalize(self, st):
        st = super().process_finalize(st)
        fin = [e for e in st.events if e.startswith("finalize:") and e != "finalize:inclusion_inherent"]
        rest = [e for e in st.events if e not in fin]
        return replace(st, events=tuple(rest + list(reversed(fin))))


@mutant(M, "rt_late_session_change_accepted", kills=["session_change_only_before_initialization"])
class LateSessionChangeAccepted(RuntimeMachine):
    """A session change after initialization is applied instead of invalidating the block."""

    def process_session_change(self, st, sc):
        return super().process_session_change(replace(st, has_initialized=False), sc)


@mutant(M, "rt_notification_prev_is_new", kills=["session_change_notified_in_order"])
class NotificationPrevIsNew(RuntimeMachine):
    """The notification's ``prev_config`` is read after the configuration changed."""

    def session_change_configuration(self, st, sc):
        st = super().session_change_configuration(st, sc)
        n = st.notification
        return replace(st, notification=replace(n, prev_config=n.new_config))


@mutant(M, "rt_scheduled_not_cleared", kills=["clean_between_blocks"])
class ScheduledNotCleared(RuntimeMachine):
    """The Scheduler is not finalized: scheduled cores stay scheduled."""

    def finalize_scheduler(self, st):
        return st


@mutant(M, "rt_failed_call_invalidates_block", kills=["failing_call_fails_alone"])
class FailedCallInvalidatesBlock(RuntimeMachine):
    """A failing extrinsic makes the whole block invalid."""

    def process_calls(self, st, calls):
        for call in calls:
            st = self.dispatch_call(st, call)
        return st


@mutant(M, "rt_calls_before_inherent", kills=["block_phases_in_order"])
class CallsBeforeInherent(RuntimeMachine):
    """Extrinsics are dispatched before the inclusion inherent."""

    def apply_block(self, s, b):
        st = self.begin_block(s, b)
        st = self.process_calls(st, b.calls)
        for inh in b.inherents:
            st = self.process_inclusion_inherent(st, inh)
        return self.process_finalize(st)


@mutant(M, "rt_inherent_optional", kills=["inherent_exactly_once"])
class InherentOptional(RuntimeMachine):
    """Finalization does not check that the inherent ran."""

    def process_finalize(self, st):
        return super().process_finalize(replace(st, included=True))


@mutant(M, "rt_inherent_twice", kills=["inherent_exactly_once"])
class InherentTwice(RuntimeMachine):
    """The inherent may be invoked twice in a block."""

    def process_inclusion_inherent(self, st, inh):
        return super().process_inclusion_inherent(replace(st, included=False), inh)


@mutant(M, "rt_candidates_before_bitfields", kills=["inherent_steps_in_order"])
class CandidatesBeforeBitfields(RuntimeMachine):
    """The inherent processes the backed candidates before the bitfields."""

    def process_inclusion_inherent(self, st, inh):
        if st.included:
            return super().process_inclusion_inherent(st, inh)
        st = self.process_inherent_candidates(st, inh.backed)
        return self.process_inherent_availability(st, inh.bitfields)


@mutant(M, "rt_bitfield_signatures_unchecked", kills=["bitfields_well_formed"])
class BitfieldSignaturesUnchecked(RuntimeMachine):
    """Bitfield signatures are not checked."""

    def check_bitfield(self, bf, n_validators, n_cores, next_validator):
        super().check_bitfield(SignBitfield(bf.validator, bf.bits, bf.length, bf.validator), n_validators, n_cores,
                               next_validator)


@mutant(M, "rt_availability_half", kills=["enacted_only_above_two_thirds"])
class AvailabilityHalf(RuntimeMachine):
    """Half of the validators' bits make a candidate available."""

    def is_available(self, votes, n_validators):
        return 2 * votes.bit_count() >= n_validators


@mutant(M, "rt_timeout_any_time", kills=["timeouts_only_near_rotation"])
class TimeoutAnyTime(RuntimeMachine):
    """Availability timeouts apply at any point of a rotation."""

    def is_in_timeout_window(self, since_rotation, period):
        return True


@mutant(M, "rt_timeout_window_at_now", kills=["timeouts_only_near_rotation"], overrides={"reading": "sdk"})
class TimeoutWindowAtNow(RuntimeMachine):
    """Under reading=sdk the timeout window is placed by the block itself, not the next one."""

    def get_timeout_window_block(self, now, cfg):
        return now


@mutant(M, "rt_any_validator_backs", kills=["backed_by_assigned_group"])
class AnyValidatorBacks(RuntimeMachine):
    """Backing statements are accepted from validators outside the assigned group."""

    def check_backing(self, ss, a, cand, cfg):
        group = self.get_group_validators(ss, a.group)
        inside = tuple(v for v in cand.backers if v in group)
        signers = None if cand.signers is None else tuple(
            s for v, s in zip(cand.backers, cand.signers) if v in group)
        super().check_backing(ss, a, replace(cand, backers=inside, signers=signers), cfg)


@mutant(M, "rt_bad_bitfield_rejects_block", kills=["bitfields_well_formed"], overrides={"reading": "sdk"})
class BadBitfieldRejectsBlock(RuntimeMachine):
    """Under reading=sdk a bad bitfield still makes the block invalid (the seed reading of
    INC-20 kept where INC-31 drops the bitfield)."""

    def sanitize_bitfields(self, bitfields, n_validators, n_cores):
        return bitfields


@mutant(M, "rt_backing_threshold_ignored", kills=["backed_by_assigned_group"])
class BackingThresholdIgnored(RuntimeMachine):
    """Any non-empty set of the group's statements backs a candidate."""

    def is_backed(self, n_backers, group_size, cfg):
        return n_backers > 0


@mutant(M, "rt_statement_signatures_unchecked", kills=["backing_statements_signed"])
class StatementSignaturesUnchecked(RuntimeMachine):
    """Backing statements' signatures are not checked."""

    def check_backing(self, ss, a, cand, cfg):
        super().check_backing(ss, a, replace(cand, signers=None), cfg)


@mutant(M, "rt_candidate_order_unchecked", kills=["candidates_in_order_on_scheduled_cores"])
class CandidateOrderUnchecked(RuntimeMachine):
    """Backed candidates are accepted in any order."""

    def process_candidates(self, inc, ps, ss, backed, now, cfg):
        return super().process_candidates(inc, ps, ss, tuple(sorted(backed, key=lambda c: c.para)), now, cfg)


@mutant(M, "rt_unscheduled_candidates_skipped", kills=["candidates_in_order_on_scheduled_cores"])
class UnscheduledCandidatesSkipped(RuntimeMachine):
    """A candidate for a para with no scheduled core is ignored instead of invalidating the block."""

    def process_candidates(self, inc, ps, ss, backed, now, cfg):
        paras = {a.para for a in ss.scheduled}
        return super().process_candidates(inc, ps, ss, tuple(c for c in backed if c.para in paras), now, cfg)


@mutant(M, "rt_head_noted_at_backing", kills=["heads_change_only_by_enactment"])
class HeadNotedAtBacking(RuntimeMachine):
    """A candidate's head is noted when it is backed, before it is available."""

    def process_inherent_candidates(self, st, backed):
        st = super().process_inherent_candidates(st, backed)
        ps = st.paras
        for c in backed:
            ps = self.process_note_new_head(ps, c.para, c.head, st.now - 1, st.now)
        return replace(st, paras=ps)


@mutant(M, "rt_upgrade_delay_ignored", kills=["upgrade_scheduled_at_enactment"])
class UpgradeDelayIgnored(RuntimeMachine):
    """An enacted upgrade is scheduled for the relay parent itself."""

    def enact_candidate(self, ps, cpa, now, cfg):
        if cpa.new_code is not None:
            ps = self.process_schedule_code_upgrade(ps, cpa.para, cpa.new_code, cpa.relay_parent + 1)
        return self.process_note_new_head(ps, cpa.para, cpa.head, cpa.relay_parent, now)


@mutant(M, "rt_sdk_upgrade_from_relay_parent", kills=["upgrade_scheduled_at_enactment"],
        overrides={"reading": "sdk"})
class SdkUpgradeFromRelayParent(RuntimeMachine):
    """Under reading=sdk an enacted upgrade is still scheduled ``validation_upgrade_delay``
    blocks after the candidate's relay parent, not after the enacting block (INC-D28)."""

    def candidate_upgrade_expected_at(self, relay_parent, enacted_in, cfg):
        return relay_parent + cfg.validation_upgrade_delay


@mutant(M, "rt_upgrade_frequency_unchecked", kills=["upgrades_respect_frequency"])
class UpgradeFrequencyUnchecked(RuntimeMachine):
    """Candidates may carry an upgrade right after the previous one."""

    def is_upgrade_allowed(self, scheduled, last_applied, relay_parent, cfg):
        return True


@mutant(M, "rt_cores_survive_session_change", kills=["no_core_occupied_across_session_change"])
class CoresSurviveSessionChange(RuntimeMachine):
    """A session change leaves the occupied cores and their pending candidates in place
    (when the number of cores does not change)."""

    def process_scheduler_session_change(self, ss, now, n_validators, seed, parachains, parathreads, prev, new):
        out = super().process_scheduler_session_change(ss, now, n_validators, seed, parachains, parathreads, prev, new)
        if len(out.cores) != len(ss.cores):
            return out
        kept = {o.entry for o in ss.cores if o is not None and o.entry is not None}
        return replace(out, cores=ss.cores, queue=tuple(q for q in out.queue if q.entry not in kept))

    def session_change_inclusion(self, st, sc):
        if all(o is not None for o in (st.scheduler.cores[cpa.core] if cpa.core < len(st.scheduler.cores) else None
                                       for _, cpa in st.inclusion.pending)):
            return st  # the scheduler kept the cores: keep their candidates
        return super().session_change_inclusion(st, sc)


@mutant(M, "rt_occupied_skipped", kills=["cores_and_pending_agree"])
class OccupiedSkipped(RuntimeMachine):
    """The inherent does not call ``Scheduler::occupied`` for the backed candidates' cores."""

    def process_occupied(self, ss, now_occupied):
        return ss


@mutant(M, "rt_cores_not_resized", kills=["cores_match_registered_paras"])
class CoresNotResized(RuntimeMachine):
    """A session change keeps the old number of cores."""

    def process_scheduler_session_change(self, ss, now, n_validators, seed, parachains, parathreads, prev, new):
        out = super().process_scheduler_session_change(ss, now, n_validators, seed, parachains, parathreads, prev, new)
        if not ss.cores or len(out.cores) == len(ss.cores):
            return out
        n = len(ss.cores)
        return replace(out, cores=(None,) * n, groups=self.compute_validator_groups(n_validators, n, seed))


@mutant(M, "rt_groups_not_reshuffled", kills=["groups_partition_session_validators"])
class GroupsNotReshuffled(RuntimeMachine):
    """A session change re-partitions the validators without the new seed."""

    def compute_validator_groups(self, n_validators, n_cores, seed):
        return super().compute_validator_groups(n_validators, n_cores, self.bounds.genesis_seed)


@mutant(M, "rt_rotation_clamped", kills=["each_core_has_one_group"])
class RotationClamped(RuntimeMachine):
    """Rotation saturates at the last group instead of wrapping around."""

    def get_group_of_core(self, ss, core, now, cfg):
        if now < ss.session_start or not 0 <= core < len(ss.groups):
            return None
        return min(core + self.get_rotations(ss, now, cfg), len(ss.groups) - 1)


@mutant(M, "rt_config_applied_immediately", kills=["configuration_constant_within_session"])
class ConfigAppliedImmediately(RuntimeMachine):
    """Setters change the configuration in force at once."""

    def update_configuration(self, cs, changes, session):
        new = super().update_configuration(cs, changes, session)
        return replace(new, current=new.pending[-1][1])


@mutant(M, "rt_sdk_config_next_session", kills=["configuration_in_force_at_its_session"],
        overrides={"reading": "sdk"})
class SdkConfigNextSession(RuntimeMachine):
    """Under reading=sdk a setter's configuration still comes into force at the next
    session (the seed's timing kept where polkadot-sdk's ``SESSION_DELAY`` applies: CFG-7)."""

    def config_session_delay(self, cfg):
        return 1


@mutant(M, "rt_no_consistency_check", kills=["configuration_consistent"])
class NoConsistencyCheck(RuntimeMachine):
    """Setters do not check the consistency of the new configuration."""

    def check_consistency(self, cfg):
        return None


@mutant(M, "rt_pruning_keeps_code", kills=["pruned_code_never_returned"])
class PruningKeepsCode(RuntimeMachine):
    """Past code is never pruned."""

    def is_prunable(self, activated_at, now, acceptance_period):
        return False



@mutant(M, "rt_disputed_candidate_kept", kills=["disputed_candidate_dropped_and_chain_reverted"],
        overrides={"reading": "seed"})
class DisputedCandidateKept(RuntimeMachine):
    """Under reading=seed a candidate concluded invalid stays pending availability (its core is
    not freed)."""

    def collect_disputed(self, st):
        inc = st.inclusion
        st, _ = super().collect_disputed(st)
        return replace(st, inclusion=inc), ()


@mutant(M, "rt_one_sided_dispute_opened", kills=["dispute_sets_well_formed"])
class OneSidedDisputeOpened(RuntimeMachine):
    """A statement set with only validity statements opens a dispute."""

    def check_dispute_set(self, st, ds, seen):
        super().check_dispute_set(st, replace(ds, invalid=ds.invalid or (1 if not ds.valid & 1 else 2)), seen)


@mutant(M, "rt_sdk_revert_at_conclusion", kills=["disputed_candidate_dropped_and_chain_reverted"],
        overrides={"reading": "sdk"})
class SdkRevertAtConclusion(RuntimeMachine):
    """Under reading=sdk the chain reverts when the dispute concludes invalid (a supermajority
    against), not as soon as more than f validators vote against (DSP-13)."""

    def is_freeze_triggered(self, n_validators, against_before, against_after):
        return is_supermajority(against_after, n_validators) and not is_supermajority(against_before, n_validators)


@mutant(M, "rt_sdk_revert_at_window_close", kills=["disputed_candidate_dropped_and_chain_reverted"],
        overrides={"reading": "sdk"})
class SdkRevertAtWindowClose(RuntimeMachine):
    """Under reading=sdk the chain reverts when the window closes, not at the conclusion (DSP-13)."""

    def is_revert_at_conclusion(self, cfg):
        return False
