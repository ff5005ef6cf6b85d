"""The Scheduler module: [IG §2.5.5] (rules SCH-* of ``spec/scheduler.md``).

Availability cores (one per parachain, then ``parathread_cores`` multiplexers),
validator groups from a seeded shuffle partitioned with ``model.groups.partition``
(SCH-2, SCH-3), round-robin rotation with ``model.groups.group_of_core`` (SCH-4),
parathread claims in a queue pre-assigned to thread cores (SCH-7 .. SCH-10),
``schedule`` / ``occupied`` (SCH-8, SCH-9), ``core_para``, ``group_validators`` and
the availability timeout predicate, active only near a rotation (SCH-11).
"""

from __future__ import annotations

import enum
from typing import Any, Callable

import attrs

from ..config import HostConfiguration
from ..core import Machine, register_machine, require
from ..groups import group_of_core, partition
from ..inclusion import is_candidate_timed_out
from ..readings import is_sdk
from ..rules import implements
from .bounds import exploration_presets
from .common import compute_shuffle, replace

__all__ = [
    "FreedReason",
    "ParathreadClaim",
    "ParathreadEntry",
    "QueuedParathread",
    "CoreOccupied",
    "CoreAssignment",
    "SchedulerState",
    "AddParathreadClaim",
    "SchedulerModule",
    "SchedulerMachine",
]


class FreedReason(enum.IntEnum):
    """Why a core was freed: its candidate became available, or timed out."""

    CONCLUDED = 1
    TIMED_OUT = 2


@attrs.frozen
class ParathreadClaim:
    para: int
    collator: int


@attrs.frozen
class ParathreadEntry:
    claim: ParathreadClaim
    retries: int = 0


@attrs.frozen
class QueuedParathread:
    entry: ParathreadEntry
    #: which parathread core (0 .. parathread_cores - 1) the claim is pre-assigned to
    core_offset: int


@attrs.frozen
class CoreOccupied:
    """An availability core's occupant: a parachain (``entry`` None) or a parathread claim."""

    para: int
    entry: ParathreadEntry | None = None


@attrs.frozen
class CoreAssignment:
    core: int
    para: int
    group: int
    entry: ParathreadEntry | None = None


@attrs.frozen(cache_hash=True)
class SchedulerState:
    #: ``ValidatorGroups``: one group (validator indices) per core
    groups: tuple[tuple[int, ...], ...] = ()
    #: ``ParathreadQueue``
    queue: tuple[QueuedParathread, ...] = ()
    next_core_offset: int = 0
    #: ``AvailabilityCores``: None when free
    cores: tuple[CoreOccupied | None, ...] = ()
    #: ``ParathreadClaimIndex``: parathreads with a claim queued, scheduled or occupying a core
    claim_index: tuple[int, ...] = ()
    session_start: int = 0
    #: ``Scheduled``: ephemeral, empty between blocks
    scheduled: tuple[CoreAssignment, ...] = ()


@attrs.frozen
class AddParathreadClaim:
    """``add_parathread_claim``: a collator's claim on the next block of a parathread."""

    para: int
    collator: int = 0


class SchedulerModule:
    """Rule methods of the Scheduler module."""

    # -- rules -------------------------------------------------------------------------------
    @implements("SCH-2", "SCH-3")
    def compute_validator_groups(self, n_validators: int, n_cores: int, seed: int) -> tuple[tuple[int, ...], ...]:
        """SCH-2, SCH-3: shuffle the validator indices with the session's seed and
        partition them into one group per core, the first ``V mod N`` groups one larger."""
        if n_cores == 0:
            return ()
        return partition(compute_shuffle(n_validators, seed), n_cores)

    @implements("SCH-4")
    def get_rotations(self, ss: SchedulerState, now: int, cfg: HostConfiguration) -> int:
        """SCH-4: rotations since the session start."""
        return (now - ss.session_start) // cfg.group_rotation_frequency

    @implements("SCH-4")
    def get_group_of_core(self, ss: SchedulerState, core: int, now: int, cfg: HostConfiguration) -> int | None:
        """SCH-4: the group assigned to ``core`` at block ``now``: ``(core + k) mod n``."""
        if now < ss.session_start or not 0 <= core < len(ss.groups):
            return None
        return group_of_core(core, self.get_rotations(ss, now, cfg), len(ss.groups))

    @implements("SCH-11")
    def is_in_timeout_window(self, since_rotation: int, period: int) -> bool:
        """SCH-11: availability timeouts apply only in the first ``period`` blocks of a rotation."""
        return since_rotation < period

    @implements("SCH-11", "SCH-14")
    def get_timeout_window_block(self, now: int, cfg: HostConfiguration) -> int:
        """The block whose place in the rotation decides whether timeouts apply at ``now``:
        ``now`` itself (SCH-11, [IG §2.5.5]); under ``reading=sdk`` the next block,
        ``now + 1`` (SCH-14, polkadot-sdk ``availability_timeout_check_required``;
        decision SCH-D9)."""
        return now + 1 if is_sdk(cfg) else now

    @implements("SCH-10")
    def may_retry(self, retries: int, cfg: HostConfiguration) -> bool:
        """SCH-10: a claim may be scheduled again while its retries are within the limit."""
        return retries <= cfg.parathread_retries

    @implements("SCH-8")
    def get_queue_limit(self, cfg: HostConfiguration) -> int:
        """SCH-8: the claim queue holds at most ``scheduling_lookahead * parathread_cores``."""
        return cfg.scheduling_lookahead * cfg.parathread_cores

    # -- accessors -----------------------------------------------------------------------------
    @implements("SCH-2")
    def get_group_validators(self, ss: SchedulerState, group: int) -> tuple[int, ...] | None:
        """SCH-2: the validators of ``group``, if the index is valid this session."""
        if 0 <= group < len(ss.groups):
            return ss.groups[group]
        return None

    @implements("SCH-11")
    def get_core_para(self, ss: SchedulerState, core: int) -> int | None:
        """SCH-11: the para scheduled on, or occupying, ``core``."""
        if 0 <= core < len(ss.cores) and ss.cores[core] is not None:
            return ss.cores[core].para
        for a in ss.scheduled:
            if a.core == core:
                return a.para
        return None

    @implements("SCH-11", "SCH-14")
    def get_availability_timeout_predicate(self, ss: SchedulerState, now: int,
                                           cfg: HostConfiguration) -> Callable[[int, int], bool] | None:
        """SCH-11: ``None`` unless the block is within ``max(chain, thread)`` availability
        periods of the last rotation; else a predicate on (core, pending since) that times
        out a core pending for its kind's period, only within that period of the rotation.
        The place in the rotation is that of :meth:`get_timeout_window_block` (``now + 1``
        under ``reading=sdk``, SCH-14); the age is always counted to ``now``."""
        at = self.get_timeout_window_block(now, cfg)
        since_rotation = max(at - ss.session_start, 0) % cfg.group_rotation_frequency
        cutoff = max(cfg.chain_availability_period, cfg.thread_availability_period)
        if not self.is_in_timeout_window(since_rotation, cutoff):
            return None
        cores = ss.cores

        def predicate(core: int, pending_since: int) -> bool:
            occ = cores[core] if 0 <= core < len(cores) else None
            if occ is None:
                return True  # nothing occupies the core: nothing to keep
            period = cfg.chain_availability_period if occ.entry is None else cfg.thread_availability_period
            if not self.is_in_timeout_window(since_rotation, period):
                return False
            return is_candidate_timed_out(now - pending_since, period)

        return predicate

    # -- routines --------------------------------------------------------------------------------
    def _enqueue(self, queue: list, next_offset: int, entry: ParathreadEntry, cfg: HostConfiguration) -> int:
        queue.append(QueuedParathread(entry, next_offset))
        return (next_offset + 1) % cfg.parathread_cores

    @implements("SCH-6")
    def process_scheduler_session_change(self, ss: SchedulerState, now: int, n_validators: int, seed: int,
                                         parachains: tuple[int, ...], parathreads: tuple[int, ...],
                                         prev_cfg: HostConfiguration, new_cfg: HostConfiguration) -> SchedulerState:
        """SCH-6: new session start; cores cleared (claims returned with retries
        un-incremented) and resized; new groups; the queue pruned and, when the number
        of parathread cores changed, rebalanced."""
        returned = [occ.entry for occ in ss.cores if occ is not None and occ.entry is not None]
        returned += [a.entry for a in ss.scheduled if a.entry is not None]
        n_cores = len(parachains) + new_cfg.parathread_cores
        groups = self.compute_validator_groups(n_validators, n_cores, seed)
        index = set(ss.claim_index)
        queue: list[QueuedParathread] = []
        next_offset = 0
        if new_cfg.parathread_cores > 0:
            rebalance = prev_cfg.parathread_cores != new_cfg.parathread_cores
            next_offset = 0 if rebalance else ss.next_core_offset
            kept = []
            for q in ss.queue:
                if self.may_retry(q.entry.retries, new_cfg) and q.entry.claim.para in parathreads:
                    kept.append(q)
                else:
                    index.discard(q.entry.claim.para)
            queue = kept
            for e in returned:
                if self.may_retry(e.retries, new_cfg) and e.claim.para in parathreads:
                    next_offset = self._enqueue(queue, next_offset, e, new_cfg)
                else:
                    index.discard(e.claim.para)
            if rebalance:
                queue = [QueuedParathread(q.entry, i % new_cfg.parathread_cores) for i, q in enumerate(queue)]
                next_offset = len(queue) % new_cfg.parathread_cores
        else:
            index = set()
        return SchedulerState(groups=groups, queue=tuple(queue), next_core_offset=next_offset,
                              cores=(None,) * n_cores, claim_index=tuple(sorted(index)),
                              session_start=now, scheduled=())

    @implements("SCH-7", "SCH-8")
    def add_parathread_claim(self, ss: SchedulerState, call: AddParathreadClaim,
                             parathreads: tuple[int, ...], cfg: HostConfiguration) -> SchedulerState:
        """SCH-7, SCH-8: queue a claim on a live parathread, at most one per parathread,
        within the lookahead limit, pre-assigned to the next parathread core."""
        require(call.para in parathreads, "SCH-7", f"para {call.para} is not a live parathread")
        require(call.para not in ss.claim_index, "SCH-7", f"parathread {call.para} already has a claim")
        require(len(ss.queue) < self.get_queue_limit(cfg), "SCH-8",
                f"the claim queue is full ({len(ss.queue)} of {self.get_queue_limit(cfg)})")
        queue = list(ss.queue)
        nxt = self._enqueue(queue, ss.next_core_offset, ParathreadEntry(ParathreadClaim(call.para, call.collator)), cfg)
        return replace(ss, queue=tuple(queue), next_core_offset=nxt,
                            claim_index=tuple(sorted(ss.claim_index + (call.para,))))

    def process_add_parathread_claim(self, ss: SchedulerState, call: AddParathreadClaim,
                                     parathreads: tuple[int, ...], cfg: HostConfiguration) -> SchedulerState:
        """:meth:`add_parathread_claim`, under the name the composed runtime calls it by.

        (The ``scheduler`` machine's ``process_add_parathread_claim`` takes the machine's
        state and action instead; this one goes when ``RuntimeModel`` calls
        ``add_parathread_claim`` itself.)"""
        return self.add_parathread_claim(ss, call, parathreads, cfg)

    @implements("SCH-9")
    def process_schedule(self, ss: SchedulerState, freed: tuple[tuple[int, FreedReason], ...],
                         parachains: tuple[int, ...], now: int, cfg: HostConfiguration) -> SchedulerState:
        """``schedule(freed)`` (SCH-9): free the given cores (a concluded parathread
        claim leaves the index, a timed-out one goes back to the queue with its retries
        un-incremented), then schedule every free core: a parachain core for its
        parachain, a parathread core for the next claim queued for it."""
        cores = list(ss.cores)
        queue = list(ss.queue)
        index = set(ss.claim_index)
        next_offset = ss.next_core_offset
        for core, reason in freed:
            if not 0 <= core < len(cores) or cores[core] is None:
                continue
            occ = cores[core]
            cores[core] = None
            if occ.entry is None:
                continue
            if reason == FreedReason.CONCLUDED:
                index.discard(occ.para)
            else:
                next_offset = self._enqueue(queue, next_offset, occ.entry, cfg)
        scheduled = list(ss.scheduled)
        if ss.groups:
            taken = {a.core for a in scheduled}
            for core in range(len(cores)):
                if cores[core] is not None or core in taken:
                    continue
                group = self.get_group_of_core(ss, core, now, cfg)
                if core < len(parachains):
                    scheduled.append(CoreAssignment(core, parachains[core], group))
                    continue
                offset = core - len(parachains)
                pos = next((i for i, q in enumerate(queue) if q.core_offset == offset), None)
                if pos is not None:
                    entry = queue.pop(pos).entry
                    scheduled.append(CoreAssignment(core, entry.claim.para, group, entry))
            scheduled.sort(key=lambda a: a.core)
        return replace(ss, cores=tuple(cores), queue=tuple(queue), next_core_offset=next_offset,
                            claim_index=tuple(sorted(index)), scheduled=tuple(scheduled))

    @implements("SCH-9")
    def process_occupied(self, ss: SchedulerState, now_occupied: tuple[int, ...]) -> SchedulerState:
        """``occupied(cores)`` (SCH-9): fails unless the cores are sorted ascending and
        all scheduled; marks them occupied and removes them from the scheduled list."""
        require(all(a < b for a, b in zip(now_occupied, now_occupied[1:])), "SCH-9",
                f"occupied cores {list(now_occupied)} are not sorted ascending")
        by_core = {a.core: a for a in ss.scheduled}
        cores = list(ss.cores)
        for c in now_occupied:
            require(c in by_core, "SCH-9", f"core {c} was not scheduled")
            a = by_core[c]
            cores[c] = CoreOccupied(a.para, a.entry)
        taken = set(now_occupied)
        return replace(ss, cores=tuple(cores), scheduled=tuple(a for a in ss.scheduled if a.core not in taken))

    @implements("SCH-10")
    def process_scheduler_finalize(self, ss: SchedulerState, cfg: HostConfiguration) -> SchedulerState:
        """Finalization (SCH-10): free the cores still scheduled; their parathread claims
        go back to the queue with retries incremented, or are dropped (and leave the
        index) once beyond ``parathread_retries``."""
        if not ss.scheduled:
            return ss
        queue = list(ss.queue)
        index = set(ss.claim_index)
        next_offset = ss.next_core_offset
        for a in ss.scheduled:
            if a.entry is None:
                continue
            entry = replace(a.entry, retries=a.entry.retries + 1)
            if self.may_retry(entry.retries, cfg):
                next_offset = self._enqueue(queue, next_offset, entry, cfg)
            else:
                index.discard(a.para)
        return replace(ss, queue=tuple(queue), next_core_offset=next_offset,
                            claim_index=tuple(sorted(index)), scheduled=())


# -- the module machine -------------------------------------------------------------------------------


@attrs.frozen(cache_hash=True)
class SchedulerMachineState:
    scheduler: SchedulerState
    n_validators: int
    now: int = 0
    sessions: int = 0
    #: per core: the block since which its occupant has been pending (None when free)
    since: tuple[int | None, ...] = ()
    #: whether a claim was added since the last block (one claim between two blocks)
    claimed: bool = False


@attrs.frozen
class SchedSessionChange:
    n_validators: int
    seed: int


@attrs.frozen
class SchedBlock:
    """One relay block for the Scheduler: ``available`` (cores whose candidate became
    available), timeouts by the predicate, ``schedule``, ``occupied(occupy)``, then
    finalization. (Claims are separate actions, at most one between two blocks.)"""

    available: tuple[int, ...] = ()
    occupy: tuple[int, ...] = ()


@register_machine
class SchedulerMachine(SchedulerModule, Machine):
    """The Scheduler module alone: groups, rotation, claims, cores, timeouts."""

    name = "scheduler"
    vector_suite = "runtime_module"
    area = "scheduler"
    description = "availability cores, validator groups, rotation and parathread claims ([IG §2.5.5])"

    #: the runtime's presets with two parathread cores, so three groups: uneven
    #: partitions and claim offsets show
    presets = exploration_presets(parathread_cores=2)
    #: what the Scheduler reads (the other fields belong to other modules)
    parameters = ("n_validators", "n_parachains", "parathread_cores", "group_rotation_frequency",
                  "chain_availability_period", "thread_availability_period", "scheduling_lookahead",
                  "parathread_retries")

    #: parathreads live throughout (after the parachains' ids)
    n_parathreads = 3
    max_blocks = 4
    max_sessions = 1

    def __init__(self, config):
        super().__init__(config)
        #: the configuration the module's routines read (the parameters, as they are)
        self.cfg = config
        self.parachains = tuple(range(config.n_parachains))
        self.parathreads = tuple(range(config.n_parachains, config.n_parachains + self.n_parathreads))

    def init(self):
        c = self.cfg
        ss = self.process_scheduler_session_change(SchedulerState(), 0, c.n_validators, 1, self.parachains,
                                                   self.parathreads, c, c)
        # the genesis groups are given (the chain spec's), computed by the specified rule
        # even in a mutant, so a broken rule shows in a session change the run makes
        ss = replace(ss, groups=SchedulerModule.compute_validator_groups(self, c.n_validators, len(ss.cores), 1))
        yield SchedulerMachineState(ss, c.n_validators, 0, 0, (None,) * len(ss.cores))

    def actions(self, state: SchedulerMachineState):
        ss = state.scheduler
        if not state.claimed:
            for p in self.parathreads + self.parachains:
                yield AddParathreadClaim(p, 0)
        if state.now >= self.max_blocks:
            return
        n = len(ss.cores)
        occupied = [i for i, o in enumerate(ss.cores) if o is not None]
        for amask in range(1 << len(occupied)):
            available = tuple(c for j, c in enumerate(occupied) if (amask >> j) & 1)
            mid, _ = self.begin_block(state, available)
            sched = [a.core for a in mid.scheduled]
            for omask in range(1 << len(sched)):
                yield SchedBlock(available, tuple(c for j, c in enumerate(sched) if (omask >> j) & 1))
            unscheduled = [c for c in range(n) if c not in sched]
            if unscheduled:
                yield SchedBlock(available, (unscheduled[0],))  # SCH-9: not scheduled
            if len(sched) >= 2:
                yield SchedBlock(available, (sched[1], sched[0]))  # SCH-9: not sorted
        if state.sessions < self.max_sessions:
            for v in (self.cfg.n_validators, self.cfg.n_validators - 1):
                yield SchedSessionChange(v, 2)

    def answer(self, state: SchedulerMachineState, action, next_state: SchedulerMachineState) -> dict[str, Any]:
        """The runtime API's group rotation view after the step: the group assigned to
        each core at the new block (SCH-4, SCH-5)."""
        ss = next_state.scheduler
        return {"group_of_core": [self.get_group_of_core(ss, c, next_state.now, self.cfg)
                                  for c in range(len(ss.cores))]}

    def begin_block(self, state: SchedulerMachineState, available: tuple[int, ...]):
        """Initialization and the inherent's first steps: the cores whose candidate
        became available and those the timeout predicate collects are freed, then
        scheduled. Returns the scheduler state and the per-core pending-since."""
        c = self.cfg
        now = state.now + 1
        since = list(state.since)
        ss = self.process_schedule(state.scheduler, (), self.parachains, now, c)  # initialization
        freed = [(core, FreedReason.CONCLUDED) for core in available]
        pred = self.get_availability_timeout_predicate(ss, now, c)
        if pred is not None:
            for core, s in enumerate(since):
                if s is not None and core not in available and pred(core, s):
                    freed.append((core, FreedReason.TIMED_OUT))
        freed.sort()
        for core, _ in freed:
            since[core] = None
        return self.process_schedule(ss, tuple(freed), self.parachains, now, c), since

    def process_add_parathread_claim(self, state: SchedulerMachineState,
                                     action: AddParathreadClaim) -> SchedulerMachineState:
        ss = self.add_parathread_claim(state.scheduler, action, self.parathreads, self.cfg)
        return replace(state, scheduler=ss, claimed=True)

    def process_sched_session_change(self, state: SchedulerMachineState,
                                     action: SchedSessionChange) -> SchedulerMachineState:
        c = self.cfg
        now = state.now + 1
        ss = self.process_scheduler_session_change(state.scheduler, now, action.n_validators, action.seed,
                                                   self.parachains, self.parathreads, c, c)
        ss = self.process_schedule(ss, (), self.parachains, now, c)
        ss = self.process_scheduler_finalize(ss, c)
        return SchedulerMachineState(ss, action.n_validators, now, state.sessions + 1, (None,) * len(ss.cores))

    def process_sched_block(self, state: SchedulerMachineState, action: SchedBlock) -> SchedulerMachineState:
        c = self.cfg
        now = state.now + 1
        ss, since = self.begin_block(state, action.available)
        ss = self.process_occupied(ss, action.occupy)
        for core in action.occupy:
            since[core] = now
        ss = self.process_scheduler_finalize(ss, c)
        return SchedulerMachineState(ss, state.n_validators, now, state.sessions, tuple(since))
