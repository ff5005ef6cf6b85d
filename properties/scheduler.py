"""Properties and mutants of the ``scheduler`` machine (spec/scheduler.md)."""

from __future__ import annotations

from paraspec.model.core import Rejected
from paraspec.model.groups import group_size
from paraspec.model.readings import is_sdk
from paraspec.model.runtime.common import replace
from paraspec.model.runtime.scheduler import (
    AddParathreadClaim,
    CoreAssignment,
    FreedReason,
    SchedBlock,
    SchedSessionChange,
    SchedulerMachine,
)

from .core import always, mutant, sometimes, transition

M = "scheduler"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


# -- shared predicates (also used on the composed runtime) ----------------------------------------


def groups_partition(groups, n_validators: int, n_cores: int) -> bool:
    """SCH-2, SCH-3: one group per core, together every validator exactly once, sizes
    differing by at most one."""
    members = [v for g in groups for v in g]
    if len(groups) != n_cores or sorted(members) != list(range(n_validators)):
        return False
    sizes = [len(g) for g in groups]
    return not sizes or max(sizes) - min(sizes) <= 1


def group_sizes_as_seeded(groups, n_validators: int) -> bool:
    """SCH-3: the first ``V mod N`` groups are the larger ones."""
    n = len(groups)
    return all(len(g) == group_size(n_validators, n, i) for i, g in enumerate(groups))


def rotation_is_bijective(m, ss, now: int, cfg) -> bool:
    """SCH-5: at block ``now`` each core has exactly one group and each group one core."""
    n = len(ss.cores)
    assigned = [m.get_group_of_core(ss, c, now, cfg) for c in range(n)]
    return sorted(assigned) == list(range(n)) if n and ss.groups else True


def rotation_is_round_robin(m, ss, now: int, cfg) -> bool:
    """SCH-4: core c has group ``(c + k) mod n``, k rotations since the session start."""
    n = len(ss.groups)
    k = (now - ss.session_start) // cfg.group_rotation_frequency
    return all(m.get_group_of_core(ss, c, now, cfg) == (c + k) % n for c in range(n))


def claims_indexed_once(ss) -> bool:
    """SCH-7: a parathread has at most one claim, queued, scheduled or on a core, and
    the claim index names exactly those parathreads."""
    paras = [q.entry.claim.para for q in ss.queue]
    paras += [a.para for a in ss.scheduled if a.entry is not None]
    paras += [o.para for o in ss.cores if o is not None and o.entry is not None]
    return len(paras) == len(set(paras)) and set(paras) == set(ss.claim_index)


# -- invariants -------------------------------------------------------------------------------------


@always(M, ["SCH-2", "SCH-3"], witness=lambda m, s: s.n_validators % max(len(s.scheduler.cores), 1) != 0)
def groups_partition_validators(m, s):
    """The groups partition the session's validators, one per core, sizes differing by
    at most one."""
    return groups_partition(s.scheduler.groups, s.n_validators, len(s.scheduler.cores))


@always(M, ["SCH-3"], witness=lambda m, s: s.n_validators % max(len(s.scheduler.cores), 1) != 0)
def first_groups_larger(m, s):
    """The first ``V mod N`` groups have ``V // N + 1`` members, the others ``V // N``."""
    return group_sizes_as_seeded(s.scheduler.groups, s.n_validators)


@always(M, ["SCH-4", "SCH-5"], witness=lambda m, s: m.get_rotations(s.scheduler, s.now, m.cfg) > 0)
def one_group_per_core(m, s):
    """After every rotation each core has exactly one group."""
    return rotation_is_bijective(m, s.scheduler, s.now, m.cfg)


@always(M, ["SCH-4"], witness=lambda m, s: s.sessions > 0 and m.get_rotations(s.scheduler, s.now, m.cfg) > 0)
def rotation_round_robin(m, s):
    """Core c has group ``(c + k) mod n`` after k rotations since the session start."""
    return rotation_is_round_robin(m, s.scheduler, s.now, m.cfg)


@transition(M, ["SCH-8"], on=[AddParathreadClaim],
            witness=lambda m, s, a, t: len(s.scheduler.queue) >= m.get_queue_limit(m.cfg))
def claim_queue_within_lookahead(m, s, a, t):
    """A claim is accepted only while the queue holds fewer than
    ``scheduling_lookahead * parathread_cores`` claims."""
    c = m.cfg
    return not _accepted(t) or len(s.scheduler.queue) < c.scheduling_lookahead * c.parathread_cores


@always(M, ["SCH-7"], witness=lambda m, s: len(s.scheduler.claim_index) > 1)
def one_claim_per_parathread(m, s):
    """A parathread never has two claims, and the index names exactly the claimed ones."""
    return claims_indexed_once(s.scheduler)


@always(M, ["SCH-10"], witness=lambda m, s: any(q.entry.retries > 0 for q in s.scheduler.queue))
def retries_within_limit(m, s):
    """No queued claim has been retried more than ``parathread_retries`` times."""
    return all(q.entry.retries <= m.cfg.parathread_retries for q in s.scheduler.queue)


@always(M, ["SCH-1", "SCH-7"], witness=lambda m, s: any(
    o is not None and o.entry is not None for o in s.scheduler.cores))
def cores_hold_their_kind(m, s):
    """Core i < #parachains holds only parachain i's candidate; the parathread cores
    hold only claims, each pre-assigned to a parathread core."""
    ss = s.scheduler
    n_chains = len(m.parachains)
    if len(ss.cores) != n_chains + m.cfg.parathread_cores:
        return False
    for i, o in enumerate(ss.cores):
        if o is None:
            continue
        if i < n_chains and (o.entry is not None or o.para != m.parachains[i]):
            return False
        if i >= n_chains and (o.entry is None or o.para not in m.parathreads):
            return False
    return all(0 <= q.core_offset < m.cfg.parathread_cores for q in ss.queue)


# -- transition properties ------------------------------------------------------------------------------


def _timed_out(m, s, a, t):
    """Cores freed by the timeout in a block: pending in s, not reported available,
    not occupied again with a later since."""
    if not isinstance(a, SchedBlock) or not _accepted(t):
        return []
    return [c for c, since in enumerate(s.since)
            if since is not None and c not in a.available and t.since[c] != since]


def timeout_window_block(now: int, cfg) -> int:
    """SCH-11, SCH-14: the block whose place in the rotation opens the timeout window at
    ``now``: ``now`` itself, or under ``reading=sdk`` the next block (decision SCH-D9)."""
    return now + 1 if is_sdk(cfg) else now


@transition(M, ["SCH-11", "SCH-14"], on=[SchedBlock], witness=lambda m, s, a, t: bool(_timed_out(m, s, a, t)))
def timeout_only_near_rotation(m, s, a, t):
    """An occupied core times out only within its kind's availability period of the
    last rotation (measured at the next block under ``reading=sdk``), and only once
    pending for that period."""
    if not _accepted(t):
        return True
    c = m.cfg
    since_rotation = (timeout_window_block(t.now, c) - s.scheduler.session_start) % c.group_rotation_frequency
    for core in _timed_out(m, s, a, t):
        occ = s.scheduler.cores[core]
        period = c.chain_availability_period if occ.entry is None else c.thread_availability_period
        if not (since_rotation < period and t.now - s.since[core] >= period):
            return False
    return True


@transition(M, ["SCH-9"], on=[SchedBlock], witness=lambda m, s, a, t: any(
    x >= y for x, y in zip(a.occupy, a.occupy[1:])) or any(
    s.scheduler.cores[c] is not None and c not in a.available for c in a.occupy))
def occupied_only_when_scheduled(m, s, a, t):
    """``occupied`` succeeds only for cores given in ascending order that were free (or
    freed in the block) and scheduled: each of them is occupied afterwards."""
    if not _accepted(t):
        return True
    freed = set(a.available) | set(_timed_out(m, s, a, t))
    if any(x >= y for x, y in zip(a.occupy, a.occupy[1:])):
        return False
    return all((s.scheduler.cores[c] is None or c in freed) and t.scheduler.cores[c] is not None
               for c in a.occupy)


@transition(M, ["SCH-9"], on=[SchedBlock], witness=lambda m, s, a, t: any(
    s.scheduler.cores[c] is not None and s.scheduler.cores[c].entry is not None for c in _timed_out(m, s, a, t)))
def timed_out_claim_kept(m, s, a, t):
    """A parathread claim whose candidate timed out is not charged for it: it stays,
    queued or on a core, with its retries unchanged (one more if it was then scheduled
    and not backed in the same block, and dropped only if that exceeds the limit)."""
    for core in _timed_out(m, s, a, t):
        entry = s.scheduler.cores[core].entry
        if entry is None:
            continue
        if not claim_kept(entry, t.scheduler, m.cfg.parathread_retries):
            return False
    return True


def claim_kept(entry, ss, limit: int) -> bool:
    """The claim of ``entry`` is still queued or on a core with its retries unchanged,
    or with one more retry (scheduled and not backed in the block), or dropped because
    that retry exceeded ``limit``."""
    found = [q.entry for q in ss.queue if q.entry.claim == entry.claim]
    found += [o.entry for o in ss.cores if o is not None and o.entry is not None and o.entry.claim == entry.claim]
    if found:
        return found[0].retries in (entry.retries, entry.retries + 1)
    return entry.retries + 1 > limit


@transition(M, ["SCH-10"], on=[SchedBlock], witness=lambda m, s, a, t: _accepted(t) and any(
    q.entry.claim.para not in t.scheduler.claim_index for q in s.scheduler.queue))
def claim_dropped_only_beyond_retries(m, s, a, t):
    """A queued claim leaves the queue only to occupy a core, or once it has been
    scheduled without being backed more than ``parathread_retries`` times."""
    if not _accepted(t):
        return True
    for q in s.scheduler.queue:
        claim = q.entry.claim
        if any(x.entry.claim == claim for x in t.scheduler.queue):
            continue
        if any(o is not None and o.entry is not None and o.entry.claim == claim for o in t.scheduler.cores):
            continue
        if q.entry.retries + 1 <= m.cfg.parathread_retries:
            return False
    return True


@transition(M, ["SCH-6"], on=[SchedSessionChange], witness=lambda m, s, a, t: any(
    o is not None for o in s.scheduler.cores))
def session_change_frees_cores(m, s, a, t):
    """A session change frees every core and restarts the rotation; a claim that
    occupied a core goes back to the queue with its retries unchanged."""
    if not _accepted(t):
        return True
    ss = t.scheduler
    if any(o is not None for o in ss.cores) or ss.session_start != t.now:
        return False
    return all(claim_kept(o.entry, ss, m.cfg.parathread_retries)
               for o in s.scheduler.cores if o is not None and o.entry is not None)


# -- reachability ---------------------------------------------------------------------------------------


@sometimes(M, ["SCH-7", "SCH-9"])
def parathread_on_each_thread_core(m, s):
    """Both parathread cores are occupied by claims at once."""
    return all(o is not None for o in s.scheduler.cores[len(m.parachains):])


@sometimes(M, ["SCH-10"])
def claim_retried(m, s):
    """A parathread claim is queued again after a block that did not back it."""
    return any(q.entry.retries > 0 for q in s.scheduler.queue)


# -- mutants ----------------------------------------------------------------------------------------------


@mutant(M, "sch_uneven_groups", kills=["groups_partition_validators", "first_groups_larger"])
class UnevenGroups(SchedulerMachine):
    """Groups of ``ceil(V / N)`` validators, the last group taking what is left."""

    def compute_validator_groups(self, n_validators, n_cores, seed):
        if n_cores == 0:
            return ()
        order = list(range(n_validators))
        size = -(-n_validators // n_cores)
        return tuple(tuple(order[i * size:(i + 1) * size]) for i in range(n_cores))


@mutant(M, "sch_larger_groups_last", kills=["first_groups_larger"])
class LargerGroupsLast(SchedulerMachine):
    """The ``V mod N`` larger groups come last."""

    def compute_validator_groups(self, n_validators, n_cores, seed):
        groups = super().compute_validator_groups(n_validators, n_cores, seed)
        flat = [v for g in groups for v in g]
        sizes = sorted(len(g) for g in groups)
        out, i = [], 0
        for n in sizes:
            out.append(tuple(flat[i:i + n]))
            i += n
        return tuple(out)


@mutant(M, "sch_rotation_clamped", kills=["one_group_per_core"])
class RotationClamped(SchedulerMachine):
    """Rotation saturates at the last group instead of wrapping around."""

    def get_group_of_core(self, ss, core, now, cfg):
        if now < ss.session_start or not 0 <= core < len(ss.groups):
            return None
        return min(core + self.get_rotations(ss, now, cfg), len(ss.groups) - 1)


@mutant(M, "sch_rotation_from_genesis", kills=["rotation_round_robin"])
class RotationFromGenesis(SchedulerMachine):
    """Rotations are counted from genesis, not from the session start."""

    def get_rotations(self, ss, now, cfg):
        return now // cfg.group_rotation_frequency


@mutant(M, "sch_lookahead_unbounded", kills=["claim_queue_within_lookahead"])
class LookaheadUnbounded(SchedulerMachine):
    """The claim queue accepts one claim more than the lookahead allows."""

    def get_queue_limit(self, cfg):
        return super().get_queue_limit(cfg) + 1


@mutant(M, "sch_no_claim_index", kills=["one_claim_per_parathread"])
class NoClaimIndex(SchedulerMachine):
    """A parathread may queue a second claim."""

    def add_parathread_claim(self, ss, call, parathreads, cfg):
        return super().add_parathread_claim(replace(ss, claim_index=()), call, parathreads, cfg)


@mutant(M, "sch_retries_unbounded", kills=["retries_within_limit"])
class RetriesUnbounded(SchedulerMachine):
    """Claims are retried for ever."""

    def may_retry(self, retries, cfg):
        return True


@mutant(M, "sch_claims_on_chain_cores", kills=["cores_hold_their_kind"])
class ClaimsOnChainCores(SchedulerMachine):
    """A free parachain core goes to a queued claim first."""

    def process_schedule(self, ss, freed, parachains, now, cfg):
        out = super().process_schedule(ss, freed, parachains, now, cfg)
        if not out.queue:
            return out
        sched = list(out.scheduled)
        for i, a in enumerate(sched):
            if a.entry is None:
                q = out.queue[0]
                sched[i] = CoreAssignment(a.core, q.entry.claim.para, a.group, q.entry)
                return replace(out, scheduled=tuple(sched), queue=out.queue[1:])
        return out


@mutant(M, "sch_timeout_any_time", kills=["timeout_only_near_rotation"])
class TimeoutAnyTime(SchedulerMachine):
    """The availability timeout applies at any point of a rotation."""

    def is_in_timeout_window(self, since_rotation, period):
        return True


@mutant(M, "sch_timeout_window_at_now", kills=["timeout_only_near_rotation"], overrides={"reading": "sdk"})
class TimeoutWindowAtNow(SchedulerMachine):
    """Under reading=sdk the timeout window is placed by the block itself, not the next
    one (the seed's SCH-11 kept where SCH-14 applies)."""

    def get_timeout_window_block(self, now, cfg):
        return now


@mutant(M, "sch_occupy_unchecked", kills=["occupied_only_when_scheduled"])
class OccupyUnchecked(SchedulerMachine):
    """``occupied`` accepts cores that were not scheduled, in any order."""

    def process_occupied(self, ss, now_occupied):
        ok = tuple(sorted(c for c in set(now_occupied) if any(a.core == c for a in ss.scheduled)))
        return super().process_occupied(ss, ok)


@mutant(M, "sch_timed_out_claim_dropped", kills=["timed_out_claim_kept"])
class TimedOutClaimDropped(SchedulerMachine):
    """A timed-out claim is dropped as if its candidate had been included."""

    def process_schedule(self, ss, freed, parachains, now, cfg):
        cores = list(ss.cores)
        index = set(ss.claim_index)
        for core, reason in freed:
            occ = cores[core] if 0 <= core < len(cores) else None
            if occ is not None and occ.entry is not None and reason == FreedReason.TIMED_OUT:
                cores[core] = None
                index.discard(occ.para)
        ss = replace(ss, cores=tuple(cores), claim_index=tuple(sorted(index)))
        return super().process_schedule(ss, freed, parachains, now, cfg)


@mutant(M, "sch_unbacked_claims_dropped", kills=["claim_dropped_only_beyond_retries"])
class UnbackedClaimsDropped(SchedulerMachine):
    """A claim scheduled but not backed in the block is dropped at once."""

    def may_retry(self, retries, cfg):
        return False


@mutant(M, "sch_cores_kept_at_session_change", kills=["session_change_frees_cores"])
class CoresKept(SchedulerMachine):
    """A session change leaves the occupied cores occupied."""

    def process_scheduler_session_change(self, ss, now, n_validators, seed, parachains, parathreads, prev, new):
        out = super().process_scheduler_session_change(ss, now, n_validators, seed, parachains, parathreads, prev, new)
        if len(out.cores) != len(ss.cores):
            return out
        queue = tuple(q for q in out.queue if not any(o is not None and o.entry == q.entry for o in ss.cores))
        return replace(out, cores=ss.cores, queue=queue)
