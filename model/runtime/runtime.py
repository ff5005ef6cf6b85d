"""The composed relay-chain runtime: the reference interpreter ([IG §2.5]).

:meth:`RuntimeModel.apply_block` takes the state after one relay-chain block and the
next block's inputs, and returns the state after that block, or raises
:class:`~model.core.Rejected` naming the rule that makes the block invalid. A block is
processed in this order (RT-1):

1. the session-change notification, if the block brings one, forwarded by the
   Initializer to the modules in initialization order (INI-3, INI-5);
2. initialization of Configuration, Paras, Scheduler, Inclusion, Validity (INI-1);
3. the inclusion inherent, which must be invoked exactly once (INC-29): its dispute
   statement sets first (INC-32, INC-33; ``disputes.py``), then the six steps of
   [IG §2.5.7] (INC-30), which a chain frozen by a dispute (reading=sdk) skips;
4. the other extrinsics (governance setters, registration, parathread claims): a
   failing call fails alone, the block stays valid (decision RT-D1);
5. finalization: the InclusionInherent check, then the modules in reverse order (INI-4).

The module rules are the mixins of ``configuration``, ``paras``, ``scheduler`` and
``inclusion`` in this package (one implementation of every rule); the ``runtime``
machine explores the composition on a small preset.
"""

from __future__ import annotations

from typing import Any, Iterator

import attrs

from ..availability import SignBitfield
from ..readings import is_sdk
from ..config import HostConfiguration
from ..core import Machine, Rejected, register_machine, require
from ..rules import implements
from ..thresholds import backing_votes_needed, byzantine_threshold, is_supermajority, supermajority_threshold
from .bounds import RUNTIME_PRESETS, RuntimeBounds
from .common import mget, mhas, replace
from .configuration import ConfigurationModule, ConfigurationState, SetConfiguration
from .disputes import DisputeState, DisputeStatementSet, RuntimeDisputesModule
from .inclusion import BackedCandidate, InclusionModule, InclusionStorage
from .paras import DeregisterPara, ParasModule, ParasState, RegisterPara
from .scheduler import AddParathreadClaim, FreedReason, SchedulerModule, SchedulerState

__all__ = [
    "SessionChange",
    "SessionChangeNotification",
    "DisputeStatementSet",
    "InclusionInherent",
    "RelayBlock",
    "RuntimeState",
    "RuntimeModel",
    "RuntimeMachine",
    "INIT_ORDER",
    "INHERENT_STEPS",
    "CALL_TYPES",
]

#: INI-1: the initialization order (finalization is the reverse, INI-4).
INIT_ORDER = ("configuration", "paras", "scheduler", "inclusion", "validity")

#: INC-30: the steps of the inclusion inherent, in order (``collect_pending`` only runs
#: when the scheduler's timeout predicate is Some).
INHERENT_STEPS = ("bitfields", "collect_pending", "schedule", "candidates", "occupied", "included")


@attrs.frozen
class SessionChange:
    """The session change delivered to the Initializer (from the session module)."""

    validators: tuple[int, ...]
    queued: tuple[int, ...] = ()
    random_seed: int = 0


@attrs.frozen
class SessionChangeNotification:
    """What the Initializer forwards to the modules (INI-5)."""

    validators: tuple[int, ...]
    queued: tuple[int, ...]
    prev_config: HostConfiguration
    new_config: HostConfiguration
    random_seed: int


@attrs.frozen
class InclusionInherent:
    """One invocation of the inclusion entry point: bitfields, backed candidates and dispute
    statement sets (polkadot-sdk ``ParachainsInherentData``; the disputes are processed first)."""

    bitfields: tuple[SignBitfield, ...] = ()
    backed: tuple[BackedCandidate, ...] = ()
    disputes: tuple[DisputeStatementSet, ...] = ()


#: the extrinsics a block may carry besides the inherent
CALL_TYPES = (SetConfiguration, RegisterPara, DeregisterPara, AddParathreadClaim)


@attrs.frozen
class RelayBlock:
    """The inputs of one relay-chain block.

    ``session_change_after_init`` delivers the notification after the modules were
    initialized (the order the Initializer forbids, INI-3). ``inherents`` lists the
    invocations of the inclusion entry point (exactly one is valid, INC-29).
    """

    session_change: SessionChange | None = None
    session_change_after_init: bool = False
    inherents: tuple[InclusionInherent, ...] = (InclusionInherent(),)
    calls: tuple[SetConfiguration | RegisterPara | DeregisterPara | AddParathreadClaim, ...] = ()

    def describe(self) -> str:
        """What the block carries, in words (the vector cases' descriptions)."""
        parts = []
        if self.session_change is not None:
            sc = self.session_change
            when = " after initialization" if self.session_change_after_init else ""
            parts.append(f"a session change{when} ({len(sc.validators)} validators, seed {sc.random_seed})")
        if len(self.inherents) != 1:
            parts.append(f"{len(self.inherents)} inclusion inherents" if self.inherents else "no inclusion inherent")
        for inh in self.inherents:
            parts.append(_describe_inherent(inh))
        for call in self.calls:
            args = ", ".join(f"{f.name}={getattr(call, f.name)}" for f in attrs.fields(type(call)))
            parts.append(f"the call {type(call).__name__}({args})")
        return "a block with " + "; ".join(parts)


def _ids(mask_or_ids) -> str:
    ids = [v for v in range(mask_or_ids.bit_length()) if mask_or_ids >> v & 1] if isinstance(mask_or_ids, int) \
        else list(mask_or_ids)
    return ",".join(map(str, ids)) if ids else "none"


def _describe_inherent(inh: "InclusionInherent") -> str:
    if not (inh.bitfields or inh.backed or inh.disputes):
        return "an empty inherent"
    out = []
    for d in inh.disputes:
        out.append(f"a dispute statement set on para {d.para}'s candidate backed in block {d.backed_in} "
                   f"(session {d.session}; valid: {_ids(d.valid)}; invalid: {_ids(d.invalid)})")
    if inh.bitfields:
        bfs = ", ".join(f"{b.validator}" + ("" if b.signer == b.validator else f" signed by {b.signer}")
                        + f": cores {_ids(b.bits)} of {b.length}" for b in inh.bitfields)
        out.append(f"{len(inh.bitfields)} bitfield(s) (validator {bfs})")
    for c in inh.backed:
        signed = "" if c.signers is None else f", signed by {_ids(c.signers)}"
        code = "" if c.new_code is None else f", upgrading to code {c.new_code}"
        out.append(f"a candidate of para {c.para} (head {c.head}) backed by {_ids(c.backers)}{signed}{code}")
    return "an inherent with " + ", ".join(out)


@attrs.frozen(cache_hash=True)
class RuntimeState:
    #: the number of the last block applied (0: genesis)
    now: int
    #: sessions started since genesis
    session: int
    #: the session's validators (their position is their validator index) and the next session's
    validators: tuple[int, ...]
    queued: tuple[int, ...]
    random_seed: int
    configuration: ConfigurationState
    paras: ParasState
    scheduler: SchedulerState
    inclusion: InclusionStorage
    #: Initializer's ``HasInitialized`` and InclusionInherent's ``Included`` (both false between blocks)
    has_initialized: bool = False
    included: bool = False
    #: the candidates the chain backed in this and the previous session, as (session, para,
    #: backed_in): the candidates a dispute may name (polkadot-sdk ``disputes::Included``)
    disputable: tuple[tuple[int, int, int], ...] = ()
    #: (session, para, backed_in) -> DisputeState: the disputes of this and the previous session
    #: (polkadot-sdk ``disputes::Disputes``)
    disputes: tuple[tuple[tuple[int, int, int], DisputeState], ...] = ()  # FMap
    #: the block the chain reverted to after a dispute concluded invalid (the last block before
    #: the disputed candidate was backed), null when it has not (polkadot-sdk ``disputes::Frozen``)
    frozen: int | None = None
    #: ghost: the module events of the last block, in order (for the order properties)
    events: tuple[str, ...] = ()
    #: ghost: the session-change notification of the last block, if it had one
    notification: SessionChangeNotification | None = None


class RuntimeModel(ConfigurationModule, ParasModule, SchedulerModule, InclusionModule, RuntimeDisputesModule):
    """The composed runtime's rules and block function (no exploration)."""

    #: INI-1: initialization order (a class attribute, so a mutant can change it)
    init_order: tuple[str, ...] = INIT_ORDER

    # -- genesis -------------------------------------------------------------------------------
    def genesis_state(self, config: HostConfiguration, validators: tuple[int, ...],
                      paras: tuple[tuple[int, bool, int, int], ...], random_seed: int = 0) -> RuntimeState:
        """The state at block 0: ``paras`` are ``(id, parachain, head, code)``; the
        genesis session's groups come from ``random_seed``."""
        self.check_consistency(config)
        require(len(validators) > 0, "INI-5", "the genesis session has no validators")
        ids = [p[0] for p in paras]
        require(len(set(ids)) == len(ids), "PAR-1", "a para id is registered twice at genesis")
        ps = ParasState(
            parachains=tuple(sorted(p[0] for p in paras if p[1])),
            parathreads=tuple(sorted(p[0] for p in paras if not p[1])),
            heads=tuple(sorted((p[0], p[2]) for p in paras)),
            code=tuple(sorted((p[0], p[3]) for p in paras)),
        )
        ss = self.process_scheduler_session_change(SchedulerState(), 0, len(validators), random_seed,
                                                   ps.parachains, ps.parathreads, config, config)
        return RuntimeState(now=0, session=0, validators=tuple(validators), queued=tuple(validators),
                            random_seed=random_seed, configuration=ConfigurationState(config), paras=ps,
                            scheduler=ss, inclusion=InclusionStorage())

    # -- the block function -----------------------------------------------------------------------
    @implements("RT-1")
    def apply_block(self, s: RuntimeState, b: RelayBlock) -> RuntimeState:
        """RT-1: the state after block ``s.now + 1`` with inputs ``b``, or Rejected."""
        st = self.begin_block(s, b)
        for inh in b.inherents:
            st = self.process_inclusion_inherent(st, inh)
        st = self.process_calls(st, b.calls)
        return self.process_finalize(st)

    def begin_block(self, s: RuntimeState, b: RelayBlock) -> RuntimeState:
        """The block up to its extrinsics: session change (if before initialization)
        and initialization, then a session change notified too late (INI-3)."""
        require(self.may_build_on(s), "DSP-7", f"the chain reverted to block {s.frozen}: no block builds on it")
        st = replace(s, now=s.now + 1, events=(), notification=None)
        if b.session_change is not None and not b.session_change_after_init:
            st = self.process_session_change(st, b.session_change)
        st = self.process_initialize(st)
        if b.session_change is not None and b.session_change_after_init:
            st = self.process_session_change(st, b.session_change)
        return st

    # -- Initializer ---------------------------------------------------------------------------------
    @implements("INI-3", "INI-5")
    def process_session_change(self, st: RuntimeState, sc: SessionChange) -> RuntimeState:
        """INI-3, INI-5: forward the notification to the modules in initialization
        order; a notification after initialization makes the block invalid."""
        require(not st.has_initialized, "INI-3",
                "session change notified after initialization (unrecoverable: the block is invalid)")
        require(len(sc.validators) > 0, "INI-5", "a session change must bring at least one validator")
        st = replace(st, session=st.session + 1, validators=tuple(sc.validators), queued=tuple(sc.queued),
                     random_seed=sc.random_seed)
        events = list(st.events)
        for module in self.init_order:
            st = getattr(self, f"session_change_{module}")(st, sc)
            events.append(f"session_change:{module}")
        return replace(st, events=tuple(events))

    @implements("INI-1", "INI-2")
    def process_initialize(self, st: RuntimeState) -> RuntimeState:
        """INI-1, INI-2: initialize the modules in order, then set ``HasInitialized``."""
        events = list(st.events)
        for module in self.init_order:
            n = len(st.events)
            st = getattr(self, f"initialize_{module}")(st)
            events.extend(st.events[n:])  # a module's own events (the revert of DSP-7)
            events.append(f"initialize:{module}")
        return replace(st, has_initialized=True, events=tuple(events))

    @implements("INC-29", "INI-4")
    def process_finalize(self, st: RuntimeState) -> RuntimeState:
        """INC-29, INI-4: the InclusionInherent's check (the entry point must have run),
        then the modules finalized in reverse order; ``HasInitialized`` is cleared."""
        require(st.included, "INC-29", "the inclusion inherent was not invoked in this block")
        events = list(st.events)
        events.append("finalize:inclusion_inherent")
        for module in reversed(self.init_order):
            st = getattr(self, f"finalize_{module}")(st)
            events.append(f"finalize:{module}")
        return replace(st, included=False, has_initialized=False, events=tuple(events))

    # session-change handlers (each module reads what it needs from storage) ----------------
    def session_change_configuration(self, st: RuntimeState, sc: SessionChange) -> RuntimeState:
        cs, prev, new = self.process_configuration_session_change(st.configuration, st.session)
        notification = SessionChangeNotification(tuple(sc.validators), tuple(sc.queued), prev, new, sc.random_seed)
        return replace(st, configuration=cs, notification=notification)

    def session_change_paras(self, st: RuntimeState, sc: SessionChange) -> RuntimeState:
        return replace(st, paras=self.process_paras_session_change(st.paras, st.now, st.session))

    def session_change_scheduler(self, st: RuntimeState, sc: SessionChange) -> RuntimeState:
        new = st.configuration.current
        prev = st.notification.prev_config if st.notification is not None else new
        ss = self.process_scheduler_session_change(st.scheduler, st.now, len(st.validators), sc.random_seed,
                                                   st.paras.parachains, st.paras.parathreads, prev, new)
        return replace(st, scheduler=ss)

    def session_change_inclusion(self, st: RuntimeState, sc: SessionChange) -> RuntimeState:
        return replace(st, inclusion=self.process_inclusion_session_change(st.inclusion))

    def session_change_validity(self, st: RuntimeState, sc: SessionChange) -> RuntimeState:
        return self.prune_disputes(st)  # the rest of Validity is the disputes machine's (decision INI-D2)

    # initialization handlers ---------------------------------------------------------------------
    def initialize_configuration(self, st: RuntimeState) -> RuntimeState:
        return st

    def initialize_paras(self, st: RuntimeState) -> RuntimeState:
        cfg = st.configuration.current
        ps = self.process_paras_initialize(st.paras, st.now, cfg.acceptance_period, cfg)
        return st if ps is st.paras else replace(st, paras=ps)

    def initialize_scheduler(self, st: RuntimeState) -> RuntimeState:
        ss = self.process_schedule(st.scheduler, (), st.paras.parachains, st.now, st.configuration.current)
        return replace(st, scheduler=ss)

    def initialize_inclusion(self, st: RuntimeState) -> RuntimeState:
        return st

    def initialize_validity(self, st: RuntimeState) -> RuntimeState:
        return self.close_dispute_windows(st) if st.disputes else st

    # finalization handlers ------------------------------------------------------------------------
    def finalize_validity(self, st: RuntimeState) -> RuntimeState:
        return st

    def finalize_inclusion(self, st: RuntimeState) -> RuntimeState:
        return st

    def finalize_scheduler(self, st: RuntimeState) -> RuntimeState:
        ss = self.process_scheduler_finalize(st.scheduler, st.configuration.current)
        return st if ss is st.scheduler else replace(st, scheduler=ss)

    def finalize_paras(self, st: RuntimeState) -> RuntimeState:
        return st

    def finalize_configuration(self, st: RuntimeState) -> RuntimeState:
        return st

    # -- InclusionInherent ------------------------------------------------------------------------------
    @implements("INC-29", "INC-30")
    def process_inclusion_inherent(self, st: RuntimeState, inh: InclusionInherent) -> RuntimeState:
        """The inclusion entry point (INC-29, INC-30): at most once per block, in six steps."""
        require(not st.included, "INC-29", "the inclusion inherent was already invoked in this block")
        disputed: tuple[int, ...] = ()
        if inh.disputes:
            st, disputed = self.process_inherent_disputes(st, inh.disputes)
        if st.frozen is not None and self.is_revert_at_conclusion(st.configuration.current):
            # DSP-13: a frozen chain includes no parachain block (sdk)
            return replace(st, included=True, events=st.events + ("inherent:included",))
        st = self.process_inherent_availability(st, inh.bitfields, disputed)
        return self.process_inherent_candidates(st, inh.backed)

    def process_inherent_availability(self, st: RuntimeState, bitfields: tuple[SignBitfield, ...],
                                      disputed: tuple[int, ...] = ()) -> RuntimeState:
        """Steps 1–3: bitfields (enacting available candidates), timeouts, schedule (with the
        cores freed by disputes, INC-33)."""
        cfg = st.configuration.current
        ss = st.scheduler
        events = list(st.events)
        # 1. process_bitfields with Scheduler::core_para as the core lookup
        inc, ps, concluded = self.process_bitfields(st.inclusion, st.paras, bitfields, len(st.validators),
                                                    len(ss.cores), lambda c: self.get_core_para(ss, c), st.now, cfg)
        para_on = {cpa.core: para for para, cpa in st.inclusion.pending}
        events.append("inherent:bitfields")
        events.extend(f"enacted:{para_on[c]}" for c in concluded)
        freed = [(c, FreedReason.CONCLUDED) for c in disputed + concluded]
        # 2. collect_pending with the availability timeout predicate, if Some
        predicate = self.get_availability_timeout_predicate(ss, st.now, cfg)
        if predicate is not None:
            inc, timed_out = self.collect_pending(inc, predicate)
            events.append("inherent:collect_pending")
            events.extend(f"timed_out:{para_on[c]}" for c in timed_out)
            freed += [(c, FreedReason.TIMED_OUT) for c in timed_out]
        # 3. schedule the freed cores
        ss = self.process_schedule(ss, tuple(sorted(freed)), ps.parachains, st.now, cfg)
        events.append("inherent:schedule")
        return replace(st, inclusion=inc, paras=ps, scheduler=ss, events=tuple(events))

    def process_inherent_candidates(self, st: RuntimeState, backed: tuple[BackedCandidate, ...]) -> RuntimeState:
        """Steps 4–6: process_candidates against the scheduled cores, occupied, Included."""
        cfg = st.configuration.current
        inc, occupied = self.process_candidates(st.inclusion, st.paras, st.scheduler, backed, st.now, cfg)
        ss = self.process_occupied(st.scheduler, occupied)
        events = st.events + ("inherent:candidates", "inherent:occupied", "inherent:included")
        st = self.note_backed(st, [c.para for c in backed])
        return replace(st, inclusion=inc, scheduler=ss, included=True, events=events)

    # -- other extrinsics ---------------------------------------------------------------------------------
    def process_calls(self, st: RuntimeState, calls: tuple[Any, ...]) -> RuntimeState:
        """RT-D1: each call is dispatched alone; a failing call leaves the state as it was
        and is recorded, the block stays valid."""
        for call in calls:
            try:
                st = self.dispatch_call(st, call)
                st = replace(st, events=st.events + (f"call:{type(call).__name__}",))
            except Rejected as r:
                st = replace(st, events=st.events + (f"call_failed:{type(call).__name__}:{r.rule_id}",))
        return st

    def dispatch_call(self, st: RuntimeState, call: Any) -> RuntimeState:
        if isinstance(call, SetConfiguration):
            return replace(st, configuration=self.process_set_configuration(st.configuration, call, st.session))
        if isinstance(call, RegisterPara):
            return replace(st, paras=self.process_schedule_para_initialize(st.paras, call, st.session,
                                                                              st.configuration.current))
        if isinstance(call, DeregisterPara):
            return replace(st, paras=self.process_schedule_para_cleanup(st.paras, call, st.session,
                                                                           st.configuration.current))
        if isinstance(call, AddParathreadClaim):
            ss = self.process_add_parathread_claim(st.scheduler, call, st.paras.parathreads,
                                                   st.configuration.current)
            return replace(st, scheduler=ss)
        raise Rejected("RT-3", f"unknown call {call!r}")

    # -- runtime APIs (read-only) -----------------------------------------------------------------------
    def get_validation_code(self, s: RuntimeState, para: int, at: int, assume_intermediate: int | None = None):
        return self.get_validation_code_at(s.paras, para, at, assume_intermediate, s.configuration.current)


# -- the explorer ------------------------------------------------------------------------------------------


@register_machine
class RuntimeMachine(RuntimeModel, Machine):
    """The composed runtime explored block by block (each action is a whole block)."""

    name = "runtime"
    vector_suite = "runtime"
    area = "runtime"
    description = "Initializer, Configuration, Paras, Scheduler, Inclusion composed ([IG §2.5])"

    #: the small host presets with the exploration timing (``model.runtime.bounds``)
    presets = RUNTIME_PRESETS
    #: what the genesis and the modules read (``dispute_rule`` decides the inherent's disputes);
    #: the size limits, ``session_length`` (session changes are inputs here) and ``max_candidates``
    #: change nothing
    parameters = ("n_validators", "n_parachains", "parathread_cores", "chain_availability_period",
                  "thread_availability_period", "group_rotation_frequency", "scheduling_lookahead",
                  "parathread_retries", "validation_upgrade_frequency", "validation_upgrade_delay",
                  "acceptance_period", "backing_threshold", "minimum_backing_votes", "free_core_bit",
                  "dispute_rule")
    parameter_conditions = {"minimum_backing_votes": ("backing_threshold", "sdk")}

    def __init__(self, config):
        super().__init__(config)
        self.bounds = RuntimeBounds.of(config)

    def init(self):
        b = self.bounds
        g = b.genesis
        paras = tuple((p, True, 0, 100 + p) for p in range(b.n_parachains))
        paras += tuple((p, False, 0, 100 + p) for p in range(b.n_parachains, b.n_parachains + b.n_parathreads))
        yield self.genesis_state(g, tuple(range(g.n_validators)), paras, random_seed=b.genesis_seed)

    def step(self, state: RuntimeState, action: RelayBlock) -> RuntimeState:
        return self.apply_block(state, action)

    # -- the blocks tried in a state ------------------------------------------------------------------------
    def actions(self, s: RuntimeState) -> Iterator[RelayBlock]:
        b = self.bounds
        if s.now >= b.max_blocks:
            if s.now < b.max_blocks + b.tail_blocks and self.upgrade_in_flight(s):
                yield from self.progress_block(s)
            return
        if not self.may_build_on(s):  # DSP-7 (reading=seed): the chain was reverted
            yield RelayBlock()
            return
        if s.frozen is not None:  # DSP-13 (reading=sdk): the frozen chain's inherents carry disputes only
            pre = self.begin_block(s, RelayBlock())
            yield RelayBlock()
            for sets in self.dispute_plans(pre):
                yield RelayBlock(inherents=(InclusionInherent(disputes=sets),))
            return
        v = len(s.validators)
        sessions: list[SessionChange | None] = [None]
        if s.session < b.max_sessions:
            sessions += [SessionChange(tuple(range(v)), tuple(range(v)), seed) for seed in b.seeds]
        for sc in sessions:
            pre = self.begin_block(s, RelayBlock(session_change=sc))
            for bitfields in self.bitfield_plans(pre):
                try:
                    mid = self.process_inherent_availability(pre, bitfields)
                except Rejected:  # only a mutant rejects the explorer's bitfields
                    yield RelayBlock(sc, False, (InclusionInherent(bitfields),), ())
                    continue
                for backed in self.candidate_plans(mid):
                    inh = InclusionInherent(bitfields, backed)
                    yield RelayBlock(sc, False, (inh,), ())
                    if not bitfields and not backed:
                        for call in self.call_plans(s):
                            yield RelayBlock(sc, False, (inh,), (call,))
                        for sets in self.dispute_plans(pre):
                            yield RelayBlock(sc, False, (InclusionInherent(disputes=sets),), ())
        if s.now <= 1 or s.notification is not None:
            yield from self.bad_blocks(s)

    def upgrade_in_flight(self, s: RuntimeState) -> bool:
        """Whether a scheduled code upgrade is due with the pending candidate of its para (its
        relay parent is at or after ``expected_at``), or an applied one's old code is not yet
        pruned (the blocks after ``max_blocks`` are explored only then: INC-D28)."""
        ps = s.paras
        for para, expected_at in ps.future_code_upgrades:
            cpa = mget(s.inclusion.pending, para)
            if cpa is not None and cpa.relay_parent >= expected_at:
                return True
        return any(r.expected_at != r.activated_at and mhas(ps.past_code, (r.para, r.expected_at))
                   for r in ps.replacements)

    def progress_block(self, s: RuntimeState) -> Iterator[RelayBlock]:
        """The one block explored after ``max_blocks``: no session change, every validator's
        bitfield for every pending core, every scheduled para backed by its group, no upgrade,
        no call (none while the chain is reverted or frozen)."""
        if not self.may_build_on(s) or s.frozen is not None:
            return
        pre = self.begin_block(s, RelayBlock())
        plans = list(self.bitfield_plans(pre))
        bitfields = plans[1] if len(plans) > 1 else ()
        try:
            mid = self.process_inherent_availability(pre, bitfields)
        except Rejected:  # only a mutant rejects the explorer's bitfields
            yield RelayBlock(None, False, (InclusionInherent(bitfields),), ())
            return
        scheduled = sorted(a.para for a in mid.scheduler.scheduled)
        backed = tuple(self.backed_by_group(mid, p, self.next_head(mid, p)) for p in scheduled)
        yield RelayBlock(None, False, (InclusionInherent(bitfields, backed),), ())

    def bitfield_plans(self, pre: RuntimeState) -> Iterator[tuple[SignBitfield, ...]]:
        """No bitfields; every validator for every pending core; the most validators
        short of availability; and, with several pending cores, each core alone."""
        n_cores = len(pre.scheduler.cores)
        v = len(pre.validators)
        live = sorted(cpa.core for _, cpa in pre.inclusion.pending if cpa.core < n_cores)
        yield ()
        if not live:
            return
        mask = sum(1 << c for c in live)
        yield tuple(SignBitfield(i, mask, n_cores, i) for i in range(v))
        short = supermajority_threshold(v) - 1
        if short > 0:
            yield tuple(SignBitfield(i, mask, n_cores, i) for i in range(short))
        if len(live) > 1:
            for c in live:
                yield tuple(SignBitfield(i, 1 << c, n_cores, i) for i in range(v))

    def dispute_plans(self, pre: RuntimeState) -> Iterator[tuple[DisputeStatementSet, ...]]:
        """For each candidate of the session not yet decided (at most two, the latest): every
        validator states invalid (it concludes invalid); validator 0 states invalid and the others
        valid; validator 0 alone states invalid (the dispute opens, or gets a vote); validators
        0 .. f state invalid, more than f but short of a supermajority (the dispute opens confirmed:
        under reading=sdk the chain freezes, DSP-13)."""
        v = len(pre.validators)
        everyone = (1 << v) - 1
        if any(d.outcome for _, d in pre.disputes):  # exploration bound: one dispute decided per run
            return
        open_keys = [k for k in pre.disputable if k[0] == pre.session and k[2] < pre.now]
        for sess, para, backed_in in open_keys[-1:]:
            d = mget(pre.disputes, (sess, para, backed_in))
            old = 0 if d is None else d.votes_for | d.votes_against
            yield (DisputeStatementSet(para, backed_in, sess, 0, everyone & ~old),)
            if d is None:
                yield (DisputeStatementSet(para, backed_in, sess, everyone & ~1, 1),)
                yield (DisputeStatementSet(para, backed_in, sess, 0, 1),)
                confirmed = (1 << (byzantine_threshold(v) + 1)) - 1
                if confirmed > 1 and not is_supermajority(confirmed.bit_count(), v):
                    yield (DisputeStatementSet(para, backed_in, sess, 0, confirmed),)

    def upgrades_used(self, s: RuntimeState, para: int) -> int:
        ps = s.paras
        n = sum(1 for r in ps.replacements if r.para == para and r.expected_at != r.activated_at)
        n += 1 if mhas(ps.future_code_upgrades, para) else 0
        cpa = mget(s.inclusion.pending, para)
        n += 1 if cpa is not None and cpa.new_code is not None else 0
        return n

    def next_head(self, s: RuntimeState, para: int) -> int:
        """The head of the explorer's next candidate of ``para``: heads alternate 0, 1
        (a new head differs from the current one; more values add no behaviour)."""
        return 1 - (mget(s.paras.heads, para) or 0)

    def backed_by_group(self, mid: RuntimeState, para: int, head: int, code: int | None = None,
                        n: int | None = None) -> BackedCandidate:
        a = next(a for a in mid.scheduler.scheduled if a.para == para)
        group = self.get_group_validators(mid.scheduler, a.group)
        backers = tuple(sorted(group))[: (len(group) if n is None else n)]
        return BackedCandidate(para, head, backers, None, code)

    def candidate_plans(self, mid: RuntimeState) -> Iterator[tuple[BackedCandidate, ...]]:
        """No candidates; every scheduled para backed by its whole group; the same with
        one para also upgrading its code (while it has upgrades left in the bounds, or
        when the upgrade frequency forbids it, to exercise INC-24)."""
        yield ()
        scheduled = sorted(a.para for a in mid.scheduler.scheduled)
        if not scheduled:
            return
        heads = {p: self.next_head(mid, p) for p in scheduled}
        yield tuple(self.backed_by_group(mid, p, heads[p]) for p in scheduled)
        cfg = mid.configuration.current
        for q in scheduled:
            future = mget(mid.paras.future_code_upgrades, q)
            last = self.get_last_code_upgrade(mid.paras, q, include_future=False)
            # the explorer asks the specified rule, not a mutant's
            allowed = InclusionModule.is_upgrade_allowed(self, future, last, mid.now - 1, cfg)
            if allowed and self.upgrades_used(mid, q) >= self.bounds.max_upgrades:
                continue
            code = 100 + 10 * q + self.upgrades_used(mid, q) + 1
            yield tuple(self.backed_by_group(mid, p, heads[p], code if p == q else None) for p in scheduled)

    def call_plans(self, s: RuntimeState) -> Iterator[Any]:
        """Governance toggles, a registration, a cleanup, parathread claims; in the first
        block also one failing call of each kind."""
        b = self.bounds
        ps = s.paras
        if s.session < b.max_sessions:  # governance only matters before the last session change
            cs = s.configuration
            base = ConfigurationModule.get_update_base(self, cs)  # the specified rule, not a mutant's
            for member, x, y in b.setters:
                yield SetConfiguration(member, y if getattr(base, member) == x else x)
            if b.register_para is not None and not self.is_registered(ps, b.register_para) \
                    and not mhas(ps.upcoming, b.register_para):
                yield RegisterPara(b.register_para, parachain=True, head=0, code=100 + b.register_para)
            live = [p for p in ps.parachains + ps.parathreads if p not in ps.outgoing]
            if len(live) > 1:
                yield DeregisterPara(max(live))
        for p in ps.parathreads:
            if p not in s.scheduler.claim_index:
                yield AddParathreadClaim(p, 0)
        if s.now == 0:
            yield SetConfiguration("chain_availability_period", 0)  # CFG-1
            yield SetConfiguration("chain_availability_period", 2, origin="signed")  # CFG-3
            yield SetConfiguration("n_validators", 5)  # CFG-2
            yield AddParathreadClaim(ps.parachains[0] if ps.parachains else 0, 0)  # SCH-7

    def bad_blocks(self, s: RuntimeState) -> Iterator[RelayBlock]:
        """One invalid block per rule a block can break (tried in the first two blocks
        and after each session change, which cover every shape of the core set)."""
        v = len(s.validators)
        sc = SessionChange(tuple(range(v)), tuple(range(v)), self.bounds.seeds[0])
        yield RelayBlock(sc, True)  # INI-3
        yield RelayBlock(inherents=())  # INC-29: missing
        yield RelayBlock(inherents=(InclusionInherent(), InclusionInherent()))  # INC-29: twice
        n_cores = len(s.scheduler.cores)
        for sets in self.bad_dispute_plans(s):
            yield RelayBlock(inherents=(InclusionInherent(disputes=sets),))
        for bfs in (
            # AV-4 forged; under reading=sdk with every bit set, so a kept forgery would count (INC-31)
            (SignBitfield(0, (1 << n_cores) - 1 if is_sdk(self.config) else 0, n_cores, 1 % v if v > 1 else 1),),
            (SignBitfield(0, 0, n_cores, 0), SignBitfield(0, 0, n_cores, 0)),  # AV-3 duplicate
            (SignBitfield(0, 0, n_cores + 1, 0),),  # AV-2 length
            (SignBitfield(v, 0, n_cores, v),),  # AV-1 unknown validator
        ):
            yield RelayBlock(inherents=(InclusionInherent(bfs),))
        pre = self.begin_block(s, RelayBlock())
        try:
            mid = self.process_inherent_availability(pre, ())
        except Rejected:  # only a mutant rejects an empty inherent
            return
        scheduled = sorted(a.para for a in mid.scheduler.scheduled)
        if not scheduled:
            return
        p = scheduled[0]
        head = self.next_head(mid, p)
        a = next(a for a in mid.scheduler.scheduled if a.para == p)
        group = self.get_group_validators(mid.scheduler, a.group)
        cfg = mid.configuration.current
        need = backing_votes_needed(len(group), cfg.backing_threshold, cfg.minimum_backing_votes)
        outsiders = [x for x in range(v) if x not in group]
        bad = [
            self.backed_by_group(mid, p, head, n=max(need - 1, 0)),  # INC-4 too few
            BackedCandidate(p, head, tuple(sorted(group)), tuple(reversed(sorted(group))) if len(group) > 1
                            else tuple(x + 1 for x in group)),  # INC-25 forged statement
        ]
        if outsiders:
            bad.append(BackedCandidate(p, head, tuple(sorted(set(group) | {outsiders[0]}))))  # INC-3
        for cand in bad:
            yield RelayBlock(inherents=(InclusionInherent((), (cand,)),))
        unscheduled = max(self.bounds.n_parachains + self.bounds.n_parathreads, 3) + 7
        yield RelayBlock(inherents=(InclusionInherent((), (BackedCandidate(unscheduled, 1, tuple(sorted(group))),)),))
        if len(scheduled) > 1:
            two = tuple(self.backed_by_group(mid, q, self.next_head(mid, q)) for q in scheduled[:2])
            yield RelayBlock(inherents=(InclusionInherent((), tuple(reversed(two))),))  # INC-23 order

    def bad_dispute_plans(self, s: RuntimeState) -> Iterator[tuple[DisputeStatementSet, ...]]:
        """One invalid dispute statement set per check of INC-32 and DSP-9."""
        v = len(s.validators)
        yield (DisputeStatementSet(0, 0, s.session + 1, 0, 1),)  # DSP-9: a later session
        yield (DisputeStatementSet(0, 0, s.session, 0, 1),)  # INC-32: no such candidate
        if not s.disputable:
            return
        sess, para, backed_in = s.disputable[-1]
        yield (DisputeStatementSet(para, backed_in, sess, 0, 1), DisputeStatementSet(para, backed_in, sess, 0, 2))
        yield (DisputeStatementSet(para, backed_in, sess, 0, 1 << v),)  # outside the session
        yield (DisputeStatementSet(para, backed_in, sess, 0, 0),)  # no statement
        yield (DisputeStatementSet(para, backed_in, sess, 1, 1),)  # both sides
        if mget(s.disputes, (sess, para, backed_in)) is None:
            yield (DisputeStatementSet(para, backed_in, sess, 1, 0),)  # opens without invalidity
