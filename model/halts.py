"""Halts, recovery and the rollback window: [HALT] ("Chain Halt + Recovery Procedures").

Rules HLT-1 .. HLT-23 of ``spec/halts.md``. The chain is in one of four modes
(running, soft stall, hard halt, emergency halt). Soft stalls are detected from the
committee's liveness and resume on their own; hard halts are triggered by evidence of
inconsistency; emergency halts by a 7-of-12 governance multisig, for at most 30 days.
Hard and emergency halts go through an investigation (triage, root cause, recovery
plan) and end by one of the recovery paths: a software fix, a rollback within the
window of one epoch, a hard fork, or a release by the multisig (re-entry).

The abstraction (HLT-D10): the committee is a count of active members and one
"connected" flag (a partition certifies nothing); a round either commits (a connected
quorum) or idles; transactions are a few abstract ids whose validity after a rollback
is an input of the recovery action; signatures are counts of multisig signers;
slashing evidence is a set of offence kinds, processed at once while the chain runs
and queued during a halt. All arithmetic is in :mod:`model.resilience`.

``paraspec run`` (the interpreter, ``checker.interp``) runs a playbook (a list of actions,
each optionally with the rule that must reject it) through the machine: the seed's
scenarios A–E are data in ``checker/scenarios/halts_*.json``.
"""

from __future__ import annotations

import enum
from typing import Any, Iterable

import attrs

from .config import ConfigError, HostConfiguration
from .readings import check_reading
from .core import Machine, register_machine, require
from .resilience import (
    compute_finality_floor,
    derive_committee_size,
    emergency_timer_after,
    is_dkg_partial_halt,
    is_emergency_expired,
    is_epoch_boundary,
    is_equivocation_cluster,
    is_escalated,
    is_multisig_approved,
    is_recovered,
    is_soft_stall_condition,
    is_state_root_divergence,
    is_within_rollback_window,
)
from .rules import implements
from .thresholds import halt_quorum

__all__ = [
    "Mode",
    "Phase",
    "Activity",
    "ActivityStatus",
    "Offence",
    "FaultKind",
    "HaltReason",
    "ACTIVITY_MATRIX",
    "HaltConfig",
    "HALT_PRESETS",
    "ROLLBACK_PRESETS",
    "HaltInterpreter",
    "RollbackMachine",
    "HaltState",
    "HaltsMachine",
    "Round",
    "Wait",
    "GoOffline",
    "ComeOnline",
    "SetConnected",
    "SubmitTx",
    "SubmitEvidence",
    "Perform",
    "DkgRoundFailed",
    "DkgSucceeded",
    "ObserveStateRoots",
    "ObserveEquivocations",
    "DetectFault",
    "EmergencyHalt",
    "Investigate",
    "ApplyFix",
    "Resume",
    "Rollback",
    "HardFork",
    "ACTIONS",
    "bits",
]


class Mode(enum.IntEnum):
    """The halt type the chain is in (HLT-1)."""

    RUNNING = 0
    SOFT_STALL = 1
    HARD_HALT = 2
    EMERGENCY_HALT = 3


#: the modes in which the chain does not commit (HLT-8)
HALTED = (Mode.SOFT_STALL, Mode.HARD_HALT, Mode.EMERGENCY_HALT)
#: the modes that need manual intervention (investigation, multisig)
MANUAL = (Mode.HARD_HALT, Mode.EMERGENCY_HALT)


class Phase(enum.IntEnum):
    """Investigation phase of a hard or emergency halt (HLT-13)."""

    NONE = 0
    TRIAGE = 1
    ROOT_CAUSE = 2
    RECOVERY_PLAN = 3


class Activity(enum.IntEnum):
    """The rows of [HALT]'s table "What Happens During Halt" (HLT-7)."""

    VERTEX_PRODUCTION = 0
    COMMITS = 1
    TX_SUBMISSION = 2
    DECRYPTION = 3
    DKG = 4
    STATE_QUERIES = 5
    SLASHING_EVIDENCE = 6
    GOSSIP = 7


class ActivityStatus(enum.IntEnum):
    CONTINUES = 0
    #: accepted and queued (transaction submission during a halt)
    QUEUED = 1
    #: suspended; resumes with the chain
    PAUSED = 2
    #: stopped; restarts only after manual recovery
    STOPPED = 3


A, St = Activity, ActivityStatus
#: HLT-7: [HALT]'s activity matrix, column by column. The one copy of the table.
ACTIVITY_MATRIX: dict[Mode, dict[Activity, ActivityStatus]] = {
    Mode.RUNNING: {a: St.CONTINUES for a in Activity},
    Mode.SOFT_STALL: {
        A.VERTEX_PRODUCTION: St.CONTINUES,  # "continues (no quorum)"
        A.COMMITS: St.PAUSED,
        A.TX_SUBMISSION: St.QUEUED,
        A.DECRYPTION: St.PAUSED,
        A.DKG: St.CONTINUES,  # "continues unless triggered"
        A.STATE_QUERIES: St.CONTINUES,
        A.SLASHING_EVIDENCE: St.CONTINUES,
        A.GOSSIP: St.CONTINUES,
    },
    Mode.HARD_HALT: {
        A.VERTEX_PRODUCTION: St.STOPPED,
        A.COMMITS: St.PAUSED,
        A.TX_SUBMISSION: St.QUEUED,
        A.DECRYPTION: St.STOPPED,
        A.DKG: St.STOPPED,
        A.STATE_QUERIES: St.CONTINUES,  # "continue (forensic)"
        A.SLASHING_EVIDENCE: St.CONTINUES,
        A.GOSSIP: St.CONTINUES,
    },
    Mode.EMERGENCY_HALT: {
        A.VERTEX_PRODUCTION: St.STOPPED,
        A.COMMITS: St.PAUSED,
        A.TX_SUBMISSION: St.QUEUED,
        A.DECRYPTION: St.STOPPED,
        A.DKG: St.STOPPED,
        A.STATE_QUERIES: St.CONTINUES,
        A.SLASHING_EVIDENCE: St.CONTINUES,
        A.GOSSIP: St.CONTINUES,
    },
}
del A, St


class Offence(enum.IntEnum):
    """Kinds of slashing evidence (bit positions in the evidence masks)."""

    BAD_STATE_ROOT = 0
    EQUIVOCATION = 1
    DOWNTIME = 2
    DKG_FAILURE = 3


class FaultKind(enum.IntEnum):
    """Hard-halt triggers without a threshold of their own (HLT-4)."""

    DKG_MISMATCH = 0
    INVARIANT_VIOLATION = 1
    DAG_FORK = 2


#: the slashing evidence a hard-halt trigger carries (a DAG fork: equivocation by the
#: forking actors, scenario E)
FAULT_EVIDENCE: dict[FaultKind, Offence | None] = {
    FaultKind.DKG_MISMATCH: None,
    FaultKind.INVARIANT_VIOLATION: None,
    FaultKind.DAG_FORK: Offence.EQUIVOCATION,
}


class HaltReason(enum.IntEnum):
    """Why the multisig signs a ``HaltMessage`` ([HALT], "Emergency Halt")."""

    CRITICAL_BUG = 0
    ACTIVE_EXPLOIT = 1
    HARD_FORK_PREP = 2
    STATE_RECOVERY = 3


#: reasons that name a fault to be resolved before the chain may run again (HLT-15)
FAULTY_REASONS = (HaltReason.CRITICAL_BUG, HaltReason.ACTIVE_EXPLOIT)


def bits(mask: int) -> list[int]:
    """The members of a bitmask, ascending."""
    out, i = [], 0
    while mask >> i:
        if (mask >> i) & 1:
            out.append(i)
        i += 1
    return out


# -- configuration ---------------------------------------------------------------------------


@attrs.frozen
class HaltConfig:
    """Parameters of the ``halts`` machine (the parameters table of ``spec/halts.md``).

    Time is counted in consensus rounds (seed: about one second each), epochs in commits
    (HLT-D4). ``max_height``, ``min_active`` and ``explore_offences`` bound exploration
    only; the interpreter (``step``) accepts any input.
    """

    name: str = "tiny"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    #: committee size n (seed: derived, 127; HLT-D1)
    committee: int = 4
    #: soft stall: no commit for more than this many rounds (seed: 5)
    stall_rounds: int = 1
    #: a soft stall lasting more than this many rounds escalates (seed: 1 hour = 3600)
    escalation_rounds: int = 1
    #: an emergency halt lasts at most this many rounds (seed: 30 days = 2,592,000)
    emergency_limit: int = 2
    #: commits per epoch = the rollback window (seed: 3 hours = 10,800 commits)
    epoch_length: int = 1
    multisig_threshold: int = 7
    multisig_size: int = 12
    #: equivocators in one epoch that make a hard halt (seed: 10)
    equivocation_cluster: int = 2
    #: consecutive DKG failures tolerated before encryption is disabled (seed: 3)
    dkg_failure_limit: int = 0
    #: abstract transaction ids 0 .. n_txs-1
    n_txs: int = 1
    # -- exploration bounds ---------------------------------------------------------------
    max_height: int = 2
    #: GoOffline is explored down to this many active members (-1: quorum - 1)
    min_active: int = -1
    #: offence kinds explored by SubmitEvidence
    explore_offences: tuple[Offence, ...] = (Offence.EQUIVOCATION,)

    @property
    def quorum(self) -> int:
        return halt_quorum(self.committee)

    @property
    def explore_min_active(self) -> int:
        return self.quorum - 1 if self.min_active < 0 else self.min_active

    def validate(self) -> "HaltConfig":
        for f in attrs.fields(HaltConfig):
            v = getattr(self, f.name)
            if f.type in ("int", int) and (not isinstance(v, int) or isinstance(v, bool)):
                raise ConfigError(f.name, "CFG-1", f"must be an integer, got {v!r}")
        for name in ("committee", "stall_rounds", "escalation_rounds", "emergency_limit", "epoch_length",
                     "multisig_threshold", "multisig_size", "equivocation_cluster"):
            if getattr(self, name) < 1:
                raise ConfigError(name, "CFG-1", "must be at least 1")
        for name in ("dkg_failure_limit", "n_txs", "max_height"):
            if getattr(self, name) < 0:
                raise ConfigError(name, "CFG-1", "must not be negative")
        if self.multisig_threshold > self.multisig_size:
            raise ConfigError("multisig_threshold", "CFG-1",
                              f"{self.multisig_threshold} exceeds the multisig size {self.multisig_size}")
        if self.equivocation_cluster > self.committee:
            raise ConfigError("equivocation_cluster", "CFG-1",
                              f"a cluster of {self.equivocation_cluster} exceeds the committee of {self.committee}")
        if self.min_active > self.committee:
            raise ConfigError("min_active", "CFG-1", "exceeds the committee size")
        check_reading(self)
        return self



_SECONDS_PER_DAY = 24 * 3600
#: seconds per consensus round in the seed (about 1): converts its durations into rounds
SEED_ROUND_SECONDS = 1


def _seed_config() -> HaltConfig:
    round_seconds = SEED_ROUND_SECONDS  # "No commit for > 5 rounds (~1s expected, so 5s threshold)"
    return HaltConfig(
        name="seed",
        committee=derive_committee_size(85, 43),  # HLT-D1: 127
        stall_rounds=5,
        escalation_rounds=3600 // round_seconds,  # "> 1 hour escalates"
        emergency_limit=30 * _SECONDS_PER_DAY // round_seconds,  # "max 30 days"
        epoch_length=3 * 3600 // round_seconds,  # "1 epoch (~3 hours)", one commit per round
        multisig_threshold=7,
        multisig_size=12,
        equivocation_cluster=10,
        dkg_failure_limit=3,  # "round 4 fails >3 consecutive"
        n_txs=4,
        max_height=1_000_000,
        min_active=0,
        explore_offences=tuple(Offence),
    )


#: exploration presets of the ``halts`` machine (no transactions: they are the
#: ``rollback`` machine's concern) and of the ``rollback`` machine; ``seed`` is shared
HALT_PRESETS: dict[str, HaltConfig] = {
    c.name: c.validate()
    for c in (
        HaltConfig(name="tiny", n_txs=0, max_height=1, equivocation_cluster=2),
        HaltConfig(name="small", n_txs=0, max_height=2, epoch_length=2, equivocation_cluster=3, stall_rounds=2, escalation_rounds=2,
                   emergency_limit=3, dkg_failure_limit=1, explore_offences=(Offence.EQUIVOCATION, Offence.DOWNTIME)),
        _seed_config(),
    )
}
ROLLBACK_PRESETS: dict[str, HaltConfig] = {
    c.name: c.validate()
    for c in (
        HaltConfig(name="tiny", n_txs=2, max_height=2, epoch_length=1),
        HaltConfig(name="small", n_txs=3, max_height=3, epoch_length=2),
        HALT_PRESETS["seed"],
    )
}


# -- state ---------------------------------------------------------------------------------------


@attrs.frozen(cache_hash=True)
class HaltState:
    mode: Mode = Mode.RUNNING
    #: active (online) committee members
    active: int = 0
    #: whether the active members reach each other (a partition certifies nothing)
    connected: bool = True
    #: running: consecutive rounds without a commit (saturates at stall_rounds + 1)
    idle: int = 0
    #: soft stall: rounds stalled (saturates at escalation_rounds + 1);
    #: emergency halt: rounds halted (at most emergency_limit)
    timer: int = 0
    phase: Phase = Phase.NONE
    #: an unresolved fault (a real hard-halt cause, or the bug an emergency halt names)
    fault: bool = False
    #: the committed chain: for each height 1.., the mask of transactions committed there
    commits: tuple[int, ...] = ()
    #: the lowest height a rollback may reach (HLT-17)
    floor: int = 0
    mempool: int = 0
    #: transactions found invalid on re-validation (dropped, provably invalid)
    invalid: int = 0
    #: ghost: every transaction ever submitted
    submitted: int = 0
    #: consecutive failed DKG rounds (saturates at dkg_failure_limit + 1)
    dkg_failures: int = 0
    #: slashing evidence (masks over Offence): queued during a halt / processed
    pending: int = 0
    slashed: int = 0
    #: ghost: every offence kind ever evidenced
    evidence: int = 0

    @property
    def height(self) -> int:
        return len(self.commits)

    @property
    def committed(self) -> int:
        m = 0
        for c in self.commits:
            m |= c
        return m


# -- actions ---------------------------------------------------------------------------------------


@attrs.frozen
class Round:
    """One consensus round passes (about one second in the seed)."""


@attrs.frozen
class Wait:
    """``rounds`` rounds pass while the chain is in a hard or emergency halt (time jumps
    used by playbooks; equal to that many ``Round`` steps). A wait does not reach past
    the end of an emergency halt."""

    rounds: int


@attrs.frozen
class GoOffline:
    count: int = 1


@attrs.frozen
class ComeOnline:
    count: int = 1


@attrs.frozen
class SetConnected:
    """The network partitions (``False``) or heals (``True``)."""

    connected: bool


@attrs.frozen
class SubmitTx:
    tx: int


@attrs.frozen
class SubmitEvidence:
    offence: Offence


@attrs.frozen
class Perform:
    """A node performs one activity of the matrix that changes no chain state
    (vertex production, decryption, a state query, gossip)."""

    activity: Activity


@attrs.frozen
class DkgRoundFailed:
    """Round 4 of the DKG ceremony fails (scenario D)."""


@attrs.frozen
class DkgSucceeded:
    """A DKG ceremony completes (after rotating the members that did not contribute)."""


@attrs.frozen
class ObserveStateRoots:
    """``roots`` distinct state roots were signed for the latest commit."""

    roots: int


@attrs.frozen
class ObserveEquivocations:
    """``validators`` distinct validators have equivocated in the current epoch."""

    validators: int


@attrs.frozen
class DetectFault:
    fault: FaultKind


@attrs.frozen
class EmergencyHalt:
    """The governance multisig signs a ``HaltMessage`` with ``signers`` signatures."""

    signers: int
    reason: HaltReason = HaltReason.CRITICAL_BUG


@attrs.frozen
class Investigate:
    """The investigation completes its current phase; at the end of the root-cause
    phase ``no_issue`` says the halt was a false positive."""

    no_issue: bool = False


@attrs.frozen
class ApplyFix:
    """Validators apply the software update (or the attackers are rotated out) that
    resolves the fault (recovery path 2)."""


@attrs.frozen
class Resume:
    """The multisig signs a ``ResumeMessage``; ``invalid`` are the queued transactions
    that fail re-validation against the current state."""

    signers: int
    invalid: int = 0


@attrs.frozen
class Rollback:
    """The multisig authorizes a rollback to the commit at height ``target``;
    ``invalid`` are the discarded transactions no longer valid at ``target``."""

    target: int
    signers: int
    invalid: int = 0


@attrs.frozen
class HardFork:
    """Governance coordinates a hard fork whose genesis is the state at ``target``."""

    target: int
    signers: int
    invalid: int = 0


ACTIONS: dict[str, type] = {
    c.__name__: c
    for c in (Round, Wait, GoOffline, ComeOnline, SetConnected, SubmitTx, SubmitEvidence, Perform,
              DkgRoundFailed, DkgSucceeded, ObserveStateRoots, ObserveEquivocations, DetectFault,
              EmergencyHalt, Investigate, ApplyFix, Resume, Rollback, HardFork)
}


# -- the machine -------------------------------------------------------------------------------------


class HaltInterpreter(Machine):
    """The interpreter of [HALT]: halt detection, the activity matrix, recovery paths
    1–5 and the rollback window. Two machines explore it with different inputs:
    ``halts`` (:class:`HaltsMachine`) and ``rollback`` (:class:`RollbackMachine`);
    ``step`` is the same for both, and for the playbooks."""

    area = "halts"
    action_classes = ACTIONS
    presets: dict[str, HaltConfig] = HALT_PRESETS

    Params = HaltConfig

    def __init__(self, config):
        super().__init__(config)

    # -- rules (methods, so a mutant overrides one) -----------------------------------------------
    @implements("HLT-7")
    def activity_status(self, mode: Mode, activity: Activity) -> ActivityStatus:
        """HLT-7: the activity matrix."""
        return ACTIVITY_MATRIX[mode][activity]

    def is_activity_allowed(self, mode: Mode, activity: Activity) -> bool:
        return self.activity_status(mode, activity) in (ActivityStatus.CONTINUES, ActivityStatus.QUEUED)

    @implements("HLT-3", "HLT-8")
    def can_commit(self, s: HaltState) -> bool:
        """HLT-3, HLT-8: a round commits when commits are not paused and a connected
        quorum certifies."""
        return self.is_activity_allowed(s.mode, Activity.COMMITS) and is_recovered(
            s.active, s.connected, self.config.committee)

    @implements("HLT-2")
    def is_stall_detected(self, s: HaltState, idle: int) -> bool:
        """HLT-2: the soft-stall criteria after a round without a commit."""
        c = self.config
        return is_soft_stall_condition(idle, s.active, c.committee, c.stall_rounds)

    @implements("HLT-11")
    def may_auto_resume(self, s: HaltState) -> bool:
        """HLT-11: a soft stall resumes once a connected quorum is back."""
        return is_recovered(s.active, s.connected, self.config.committee)

    @implements("HLT-12")
    def is_escalated(self, timer: int) -> bool:
        """HLT-12."""
        return is_escalated(timer, self.config.escalation_rounds)

    @implements("HLT-6")
    def is_emergency_over(self, timer: int) -> bool:
        """HLT-6: the constitutional limit."""
        return is_emergency_expired(timer, self.config.emergency_limit)

    @implements("HLT-5")
    def is_multisig(self, signers: int) -> bool:
        """HLT-5: 7 of 12."""
        return is_multisig_approved(signers, self.config.multisig_threshold, self.config.multisig_size)

    @implements("HLT-17")
    def is_in_window(self, s: HaltState, target: int) -> bool:
        """HLT-17: at most one epoch back."""
        return is_within_rollback_window(target, s.floor, s.height)

    @implements("HLT-17")
    def next_floor(self, floor: int, height: int) -> int:
        """HLT-17: commits buried under a full epoch become irreversible."""
        return compute_finality_floor(floor, height, self.config.epoch_length)

    @implements("HLT-21")
    def is_encryption_disabled(self, s: HaltState) -> bool:
        """HLT-21: the DKG partial halt."""
        return is_dkg_partial_halt(s.dkg_failures, self.config.dkg_failure_limit)

    @implements("HLT-21")
    def is_new_epoch(self, height: int) -> bool:
        """HLT-21: the commit at ``height`` starts an epoch (a new DKG: encryption is back)."""
        return is_epoch_boundary(height, self.config.epoch_length)

    @implements("HLT-4")
    def is_divergence(self, roots: int) -> bool:
        """HLT-4."""
        return is_state_root_divergence(roots)

    @implements("HLT-4")
    def is_cluster(self, validators: int) -> bool:
        """HLT-4."""
        return is_equivocation_cluster(validators, self.config.equivocation_cluster)

    @implements("HLT-5")
    def may_declare_emergency(self, s: HaltState) -> bool:
        """HLT-5: a HaltMessage is accepted only on a running or soft-stalled chain (no
        extension of a halt in progress)."""
        return s.mode in (Mode.RUNNING, Mode.SOFT_STALL)

    @implements("HLT-15")
    def may_release(self, s: HaltState) -> bool:
        """HLT-15: the multisig releases a halt only once its fault is resolved."""
        return not s.fault

    # -- machine ----------------------------------------------------------------------------------
    def init(self):
        yield HaltState(active=self.config.committee)

    def actions(self, s: HaltState) -> Iterable[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- transitions ------------------------------------------------------------------------------
    def process_round(self, s: HaltState, a: Round) -> HaltState:
        c = self.config
        if s.mode == Mode.RUNNING:
            if self.can_commit(s):
                return self.process_commit(s)
            idle = min(s.idle + 1, c.stall_rounds + 1)
            if self.is_stall_detected(s, idle):
                return attrs.evolve(s, mode=Mode.SOFT_STALL, idle=0, timer=0)
            return attrs.evolve(s, idle=idle)
        if s.mode == Mode.SOFT_STALL:
            if self.may_auto_resume(s):
                return self.process_reentry(s, 0)
            return attrs.evolve(s, timer=min(s.timer + 1, c.escalation_rounds + 1))
        return self.process_wait(s, Wait(1))

    @implements("HLT-3")
    def process_commit(self, s: HaltState) -> HaltState:
        """One commit (HLT-3): the queued transactions are included."""
        require(self.is_activity_allowed(s.mode, Activity.COMMITS), "HLT-8", f"commits are paused in {s.mode.name}")
        height = s.height + 1
        dkg = 0 if self.is_new_epoch(height) else s.dkg_failures
        return attrs.evolve(s, commits=s.commits + (s.mempool,), mempool=0, idle=0,
                            floor=self.next_floor(s.floor, height), dkg_failures=dkg)

    def process_wait(self, s: HaltState, a: Wait) -> HaltState:
        require(a.rounds >= 1, "HLT-6", f"a wait of {a.rounds} rounds")
        require(s.mode in MANUAL, "HLT-6", f"Wait is for hard and emergency halts, not {s.mode.name}")
        if s.mode == Mode.HARD_HALT:
            return s
        left = self.config.emergency_limit - s.timer
        require(a.rounds <= left, "HLT-6", f"the emergency halt lapses after {left} more rounds")
        timer = emergency_timer_after(s.timer, a.rounds, self.config.emergency_limit)
        if not self.is_emergency_over(timer):
            return attrs.evolve(s, timer=timer)
        # HLT-6: the halt lapses; an unresolved fault keeps the chain stopped as a hard halt
        if s.fault:
            return attrs.evolve(s, mode=Mode.HARD_HALT, timer=0)
        return self.process_reentry(s, 0)

    def process_go_offline(self, s: HaltState, a: GoOffline) -> HaltState:
        require(1 <= a.count <= s.active, "HLT-1", f"{a.count} of {s.active} active members cannot go offline")
        return attrs.evolve(s, active=s.active - a.count)

    def process_come_online(self, s: HaltState, a: ComeOnline) -> HaltState:
        require(1 <= a.count and s.active + a.count <= self.config.committee, "HLT-1",
                f"{a.count} more members exceed the committee of {self.config.committee}")
        return attrs.evolve(s, active=s.active + a.count)

    def process_set_connected(self, s: HaltState, a: SetConnected) -> HaltState:
        return attrs.evolve(s, connected=bool(a.connected))

    def process_submit_tx(self, s: HaltState, a: SubmitTx) -> HaltState:
        require(0 <= a.tx < self.config.n_txs, "HLT-10", f"unknown transaction id {a.tx}")
        require(not (s.submitted >> a.tx) & 1, "HLT-10", f"transaction {a.tx} was already submitted")
        require(self.is_activity_allowed(s.mode, Activity.TX_SUBMISSION), "HLT-7",
                f"transaction submission is not accepted in {s.mode.name}")
        bit = 1 << a.tx
        return attrs.evolve(s, mempool=s.mempool | bit, submitted=s.submitted | bit)

    @implements("HLT-9")
    def record_evidence(self, s: HaltState, offence: Offence) -> HaltState:
        """HLT-9: evidence is processed at once on a running chain, queued in a halt."""
        require(self.is_activity_allowed(s.mode, Activity.SLASHING_EVIDENCE), "HLT-9",
                f"slashing evidence refused in {s.mode.name}")
        bit = 1 << offence
        if s.mode == Mode.RUNNING:
            return attrs.evolve(s, slashed=s.slashed | bit, evidence=s.evidence | bit)
        return attrs.evolve(s, pending=s.pending | bit, evidence=s.evidence | bit)

    def process_submit_evidence(self, s: HaltState, a: SubmitEvidence) -> HaltState:
        return self.record_evidence(s, Offence(a.offence))

    def process_perform(self, s: HaltState, a: Perform) -> HaltState:
        act = Activity(a.activity)
        require(act not in (Activity.COMMITS, Activity.TX_SUBMISSION, Activity.SLASHING_EVIDENCE, Activity.DKG),
                "HLT-7", f"{act.name} is performed by its own action")
        require(self.is_activity_allowed(s.mode, act), "HLT-7",
                f"{act.name} is {self.activity_status(s.mode, act).name.lower()} in {s.mode.name}")
        if act == Activity.DECRYPTION:
            require(not self.is_encryption_disabled(s), "HLT-21",
                    f"encryption is disabled after {s.dkg_failures} failed DKG rounds")
        return s

    def process_dkg_round_failed(self, s: HaltState, a: DkgRoundFailed) -> HaltState:
        require(self.is_activity_allowed(s.mode, Activity.DKG), "HLT-7", f"DKG is stopped in {s.mode.name}")
        return attrs.evolve(s, dkg_failures=min(s.dkg_failures + 1, self.config.dkg_failure_limit + 1))

    def process_dkg_succeeded(self, s: HaltState, a: DkgSucceeded) -> HaltState:
        require(self.is_activity_allowed(s.mode, Activity.DKG), "HLT-7", f"DKG is stopped in {s.mode.name}")
        return attrs.evolve(s, dkg_failures=0)

    @implements("HLT-4")
    def process_hard_fault(self, s: HaltState, offence: Offence | None) -> HaltState:
        """HLT-4: a hard-halt trigger stops a running or stalled chain at once. On a chain
        already in a hard or emergency halt only its evidence is recorded (HLT-D5)."""
        if s.mode in (Mode.RUNNING, Mode.SOFT_STALL):
            s = attrs.evolve(s, mode=Mode.HARD_HALT, phase=Phase.TRIAGE, fault=True, idle=0, timer=0)
        if offence is not None:
            s = self.record_evidence(s, offence)
        return s

    def process_observe_state_roots(self, s: HaltState, a: ObserveStateRoots) -> HaltState:
        require(a.roots >= 1, "HLT-4", f"{a.roots} signed roots observed")
        if self.is_divergence(a.roots):
            return self.process_hard_fault(s, Offence.BAD_STATE_ROOT)
        return s

    def process_observe_equivocations(self, s: HaltState, a: ObserveEquivocations) -> HaltState:
        require(1 <= a.validators <= self.config.committee, "HLT-4",
                f"{a.validators} equivocators in a committee of {self.config.committee}")
        if self.is_cluster(a.validators):
            return self.process_hard_fault(s, Offence.EQUIVOCATION)
        return self.record_evidence(s, Offence.EQUIVOCATION)

    def process_detect_fault(self, s: HaltState, a: DetectFault) -> HaltState:
        kind = FaultKind(a.fault)
        return self.process_hard_fault(s, FAULT_EVIDENCE[kind])

    def process_emergency_halt(self, s: HaltState, a: EmergencyHalt) -> HaltState:
        require(self.is_multisig(a.signers), "HLT-5",
                f"HaltMessage with {a.signers} signatures, {self.config.multisig_threshold} of "
                f"{self.config.multisig_size} needed")
        require(self.may_declare_emergency(s), "HLT-5", f"a HaltMessage cannot extend a {s.mode.name}")
        return attrs.evolve(s, mode=Mode.EMERGENCY_HALT, phase=Phase.TRIAGE, idle=0, timer=0,
                            fault=HaltReason(a.reason) in FAULTY_REASONS)

    def process_investigate(self, s: HaltState, a: Investigate) -> HaltState:
        require(s.mode in MANUAL, "HLT-13", f"no investigation in {s.mode.name}")
        require(s.phase < Phase.RECOVERY_PLAN, "HLT-13", "the investigation is complete")
        if a.no_issue:
            require(s.phase == Phase.ROOT_CAUSE, "HLT-13", "only root-cause analysis can find no issue")
            return attrs.evolve(s, phase=Phase(s.phase + 1), fault=False)
        return attrs.evolve(s, phase=Phase(s.phase + 1))

    def require_recovery_plan(self, s: HaltState, what: str) -> None:
        require(s.mode in MANUAL, "HLT-13", f"{what} needs a hard or emergency halt, not {s.mode.name}")
        require(s.phase == Phase.RECOVERY_PLAN, "HLT-13", f"{what} before the recovery plan ({s.phase.name})")

    def process_apply_fix(self, s: HaltState, a: ApplyFix) -> HaltState:
        self.require_recovery_plan(s, "a software fix")
        return attrs.evolve(s, fault=False)

    @implements("HLT-16")
    def process_reentry(self, s: HaltState, invalid: int) -> HaltState:
        """HLT-16: re-entry. Queued transactions are re-validated (``invalid`` ones are
        dropped as provably invalid), evidence from the halt is processed, commits resume."""
        require(invalid & ~s.mempool == 0, "HLT-16", "only queued transactions can fail re-validation")
        return attrs.evolve(s, mode=Mode.RUNNING, idle=0, timer=0, phase=Phase.NONE, fault=False,
                            mempool=s.mempool & ~invalid, invalid=s.invalid | invalid,
                            slashed=s.slashed | s.pending, pending=0)

    def process_resume(self, s: HaltState, a: Resume) -> HaltState:
        require(self.is_multisig(a.signers), "HLT-5", f"ResumeMessage with {a.signers} signatures")
        self.require_recovery_plan(s, "a resume")
        require(self.may_release(s), "HLT-15", "the fault behind the halt is not resolved")
        return self.process_reentry(s, a.invalid)

    @implements("HLT-18", "HLT-19")
    def reconcile(self, s: HaltState, target: int, invalid: int) -> HaltState:
        """HLT-18, HLT-19: reconciliation steps 2–5: roll the state back to ``target``,
        discard the later commits, return their still-valid transactions to the mempool,
        slash the signers of bad state roots."""
        returned = 0
        for m in s.commits[target:]:
            returned |= m
        require(invalid & ~returned == 0, "HLT-18", "only discarded transactions can be found invalid")
        bad = 1 << Offence.BAD_STATE_ROOT
        return attrs.evolve(s, commits=s.commits[:target], mempool=s.mempool | (returned & ~invalid),
                            invalid=s.invalid | invalid, slashed=s.slashed | (s.pending & bad),
                            pending=s.pending & ~bad)

    def process_rollback(self, s: HaltState, a: Rollback) -> HaltState:
        require(self.is_multisig(a.signers), "HLT-5", f"rollback authorized by {a.signers} signatures")
        self.require_recovery_plan(s, "a rollback")
        require(self.is_in_window(s, a.target), "HLT-17",
                f"rollback to {a.target} from {s.height}: the window reaches down to {s.floor} only")
        return self.reconcile(s, a.target, a.invalid)

    def process_hard_fork(self, s: HaltState, a: HardFork) -> HaltState:
        require(self.is_multisig(a.signers), "HLT-5", f"hard fork coordinated by {a.signers} signatures")
        self.require_recovery_plan(s, "a hard fork")
        require(0 <= a.target <= s.height, "HLT-20", f"hard-fork genesis {a.target} is not a commit")
        t = self.reconcile(s, a.target, a.invalid)
        return attrs.evolve(t, floor=a.target, fault=False)

    def answer(self, state: HaltState, action, next_state: HaltState) -> dict[str, bool]:
        """The derived views a node exposes after the step: whether a soft stall has
        escalated (HLT-12) and whether encryption is disabled (HLT-21)."""
        s = next_state
        return {"escalated": s.mode == Mode.SOFT_STALL and self.is_escalated(s.timer),
                "encryption_disabled": self.is_encryption_disabled(s)}

    # -- presentation -----------------------------------------------------------------------------
    def describe(self, s: HaltState) -> dict[str, Any]:
        """The state as plain JSON values (enum names, masks as sorted lists), for
        playbook expectations and reports."""
        return {
            "mode": s.mode.name,
            "active": s.active,
            "connected": s.connected,
            "idle": s.idle,
            "timer": s.timer,
            "escalated": s.mode == Mode.SOFT_STALL and self.is_escalated(s.timer),
            "phase": s.phase.name,
            "fault": s.fault,
            "height": s.height,
            "floor": s.floor,
            "commits": [bits(m) for m in s.commits],
            "mempool": bits(s.mempool),
            "invalid": bits(s.invalid),
            "committed": bits(s.committed),
            "dkg_failures": s.dkg_failures,
            "encryption_disabled": self.is_encryption_disabled(s),
            "pending": [Offence(i).name for i in bits(s.pending)],
            "slashed": [Offence(i).name for i in bits(s.slashed)],
        }


@register_machine
class HaltsMachine(HaltInterpreter):
    """Explores detection, the activity matrix, slashing evidence, emergency halts, the
    investigation, re-entry and the DKG partial halt (no transactions, one commit)."""

    name = "halts"
    description = "soft stalls, hard and emergency halts, the activity matrix, investigation and re-entry ([HALT])"
    #: liveness: weak fairness of consensus rounds (``checker.liveness``): rounds keep being attempted
    fairness = (Round,)

    def actions(self, s: HaltState) -> Iterable[Any]:
        c = self.config
        manual = s.mode in MANUAL
        if not (self.can_commit(s) and s.height >= c.max_height):
            yield Round()
        if not manual:
            if s.active > c.explore_min_active:
                yield GoOffline(1)
            if s.active < c.committee:
                yield ComeOnline(1)
            yield SetConnected(not s.connected)
        for tx in range(c.n_txs):
            if not (s.submitted >> tx) & 1:
                yield SubmitTx(tx)
        for o in c.explore_offences:
            if not (s.evidence >> o) & 1:
                yield SubmitEvidence(o)
        for act in (Activity.VERTEX_PRODUCTION, Activity.DECRYPTION, Activity.STATE_QUERIES, Activity.GOSSIP):
            yield Perform(act)
        yield DkgRoundFailed()
        if s.dkg_failures:
            yield DkgSucceeded()
        if not manual:
            yield ObserveStateRoots(1)
            yield ObserveStateRoots(2)
            yield ObserveEquivocations(c.equivocation_cluster - 1)
            yield ObserveEquivocations(c.equivocation_cluster)
            yield DetectFault(FaultKind.DAG_FORK)
            yield DetectFault(FaultKind.INVARIANT_VIOLATION)
        t = c.multisig_threshold
        for reason in (HaltReason.CRITICAL_BUG, HaltReason.HARD_FORK_PREP):
            yield EmergencyHalt(t, reason)
        yield EmergencyHalt(t - 1, HaltReason.CRITICAL_BUG)
        # more signatures than the multisig has members: forged, rejected (HLT-5)
        yield EmergencyHalt(c.multisig_size + 1, HaltReason.CRITICAL_BUG)
        if manual:
            if s.phase < Phase.RECOVERY_PLAN:
                yield Investigate(False)
            if s.phase == Phase.ROOT_CAUSE:
                yield Investigate(True)
            if s.fault:
                yield ApplyFix()
            yield Resume(t, 0)
            yield Resume(t - 1, 0)


@register_machine
class RollbackMachine(HaltInterpreter):
    """Explores the committed chain: transactions, hard halts and emergency halts ending
    in rollbacks within the window, hard forks beyond it, and re-entry with
    re-validation. The committee stays complete and connected."""

    name = "rollback"
    description = "the one-epoch rollback window, state reconciliation and hard forks ([HALT])"
    presets = ROLLBACK_PRESETS
    #: the committee stays complete and connected, so the stall, escalation, offence and
    #: DKG parameters of ``HaltConfig`` play no part here (``halts`` explores them)
    parameters = ("committee", "emergency_limit", "epoch_length", "multisig_threshold", "n_txs", "max_height")

    def actions(self, s: HaltState) -> Iterable[Any]:
        c = self.config
        t = c.multisig_threshold
        manual = s.mode in MANUAL
        if not (self.can_commit(s) and s.height >= c.max_height):
            yield Round()
        for tx in range(c.n_txs):
            if not (s.submitted >> tx) & 1:
                yield SubmitTx(tx)
        if not manual:
            yield ObserveStateRoots(2)
            yield DetectFault(FaultKind.DAG_FORK)
            yield EmergencyHalt(t, HaltReason.STATE_RECOVERY)
            return
        if s.phase < Phase.RECOVERY_PLAN:
            yield Investigate(False)
            return
        if s.fault:
            yield ApplyFix()
        yield Resume(t, 0)
        if s.mempool:
            yield Resume(t, s.mempool)
        for target in range(s.height):
            returned = 0
            for m in s.commits[target:]:
                returned |= m
            yield Rollback(target, t, 0)
            if returned:
                yield Rollback(target, t, returned)
            yield HardFork(target, t, 0)
        if s.height:
            yield Rollback(s.height - 1, t - 1, 0)
            yield HardFork(s.height - 1, t - 1, 0)
