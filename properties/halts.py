"""Properties and mutants of the ``halts`` and ``rollback`` machines (spec/halts.md, [HALT]).

Both machines run the one interpreter :class:`model.halts.HaltInterpreter`; ``halts``
explores detection, the activity matrix, evidence, emergency halts, investigation and
re-entry, ``rollback`` the committed chain, transactions, the window and hard forks."""

from __future__ import annotations

import attrs

from paraspec.model.core import Rejected
from paraspec.model.halts import (
    MANUAL,
    Activity,
    ApplyFix,
    DetectFault,
    DkgRoundFailed,
    DkgSucceeded,
    EmergencyHalt,
    HaltsMachine,
    HardFork,
    Mode,
    ObserveEquivocations,
    ObserveStateRoots,
    Offence,
    Perform,
    Phase,
    Resume,
    Rollback,
    RollbackMachine,
    Round,
    SubmitEvidence,
    SubmitTx,
    Wait,
)
from paraspec.model.thresholds import halt_quorum, halt_safety_threshold

from .core import always, eventually, leads_to, mutant, sometimes, transition

M = "halts"
R = "rollback"
BAD_ROOT = 1 << Offence.BAD_STATE_ROOT
EQUIVOCATION = 1 << Offence.EQUIVOCATION
RECOVERY = (ApplyFix, Resume, Rollback, HardFork)


def _ok(t) -> bool:
    return not isinstance(t, Rejected)


def _quorum_back(m, s) -> bool:
    return s.connected and s.active >= halt_quorum(m.config.committee)


# -- invariants ---------------------------------------------------------------------------------


@always(M, ["HLT-1", "HLT-13"], witness=lambda m, s: s.mode in MANUAL and s.phase == Phase.RECOVERY_PLAN)
def type_ok(m, s):
    """Counters in range; a running or stalled chain has no investigation and no fault;
    a hard or emergency halt is under investigation."""
    c = m.config
    if not (0 <= s.active <= c.committee and 0 <= s.idle <= c.stall_rounds + 1 and 0 <= s.floor <= s.height):
        return False
    if s.mode in MANUAL:
        return s.phase != Phase.NONE and s.idle == 0
    return s.phase == Phase.NONE and not s.fault and (s.mode == Mode.RUNNING or s.idle == 0)


@always(R, ["HLT-22", "HLT-10", "HLT-18"], witness=lambda m, s: s.invalid != 0 and s.height < m.config.max_height)
def no_transaction_lost(m, s):
    """Every submitted transaction is in exactly one place: queued in the mempool,
    committed at exactly one height, or dropped as provably invalid."""
    places = [s.mempool, s.invalid] + list(s.commits)
    union = 0
    for p in places:
        if union & p:
            return False
        union |= p
    return union == s.submitted


@always(M, ["HLT-9"], witness=lambda m, s: s.pending != 0)
def no_evidence_lost(m, s):
    """Every piece of slashing evidence ever accepted is queued or processed."""
    return (s.pending | s.slashed) == s.evidence


@always(M, ["HLT-9", "HLT-16"], witness=lambda m, s: s.mode == Mode.RUNNING and s.slashed & EQUIVOCATION != 0)
def running_chain_has_no_queued_evidence(m, s):
    """Evidence queued during a halt is processed when the chain runs again."""
    return s.mode != Mode.RUNNING or s.pending == 0


@always(M, ["HLT-6"], witness=lambda m, s: s.mode == Mode.EMERGENCY_HALT and s.timer == m.config.emergency_limit - 1)
def emergency_halt_within_limit(m, s):
    """An emergency halt never lasts as long as its limit (30 days in the seed): at the
    limit it is over."""
    return s.mode != Mode.EMERGENCY_HALT or s.timer < m.config.emergency_limit


@always(M, ["HLT-12"], witness=lambda m, s: s.mode == Mode.SOFT_STALL and s.timer > m.config.escalation_rounds)
def escalation_only_after_an_hour(m, s):
    """A soft stall is escalated exactly when it has lasted more than the escalation
    time (one hour in the seed)."""
    if s.mode != Mode.SOFT_STALL:
        return True
    return m.is_escalated(s.timer) == (s.timer > m.config.escalation_rounds)


@always(R, ["HLT-1", "HLT-17"], witness=lambda m, s: s.floor > 0)
def chain_type_ok(m, s):
    """The irreversibility floor is at or below the tip, and the tip within the bound."""
    return 0 <= s.floor <= s.height and s.dkg_failures == 0 and s.active == m.config.committee


# -- transition properties -------------------------------------------------------------------------


@transition(M, ["HLT-8", "HLT-3"], witness=lambda m, s, a, t: s.mode != Mode.RUNNING and isinstance(a, Round))
def no_commit_while_halted(m, s, a, t):
    """The chain commits only while running, and only with a connected quorum."""
    if not _ok(t) or t.height <= s.height:
        return True
    return s.mode == Mode.RUNNING and _quorum_back(m, s) and t.height == s.height + 1


@transition(M, ["HLT-9", "HLT-7"], on=[SubmitEvidence], witness=lambda m, s, a, t: s.mode != Mode.RUNNING)
def evidence_accepted_in_every_halt(m, s, a, t):
    """Slashing evidence is accepted in every state: an attacker cannot escape by
    triggering a halt."""
    return _ok(t)


#: HLT-7, restated from [HALT]'s table: activities that stop / pause in each halt
STOPPED_OR_PAUSED = {
    Mode.RUNNING: set(),
    Mode.SOFT_STALL: {Activity.DECRYPTION},
    Mode.HARD_HALT: {Activity.VERTEX_PRODUCTION, Activity.DECRYPTION},
    Mode.EMERGENCY_HALT: {Activity.VERTEX_PRODUCTION, Activity.DECRYPTION},
}


@transition(M, ["HLT-7"], on=[Perform], witness=lambda m, s, a, t: s.mode in MANUAL)
def activity_matrix_respected(m, s, a, t):
    """Vertex production continues in a soft stall and stops in hard and emergency halts;
    decryption pauses in every halt; state queries and gossip always continue."""
    blocked = a.activity in STOPPED_OR_PAUSED[s.mode] or (
        a.activity == Activity.DECRYPTION and s.dkg_failures > m.config.dkg_failure_limit)
    return _ok(t) != blocked


@transition(M, ["HLT-7", "HLT-21"], on=[DkgRoundFailed, DkgSucceeded], witness=lambda m, s, a, t: s.mode in MANUAL)
def dkg_stops_in_manual_halts(m, s, a, t):
    """DKG ceremonies continue while running and in a soft stall, and stop in hard and
    emergency halts."""
    return _ok(t) == (s.mode not in MANUAL)


@transition(R, ["HLT-10", "HLT-7"], on=[SubmitTx], witness=lambda m, s, a, t: s.mode != Mode.RUNNING)
def transactions_queued_in_every_mode(m, s, a, t):
    """A new transaction is accepted (queued) in every mode."""
    return _ok(t) and t.mempool == s.mempool | (1 << a.tx)


@transition(M, ["HLT-2", "HLT-3"], on=[Round], witness=lambda m, s, a, t: s.mode == Mode.RUNNING
            and not _quorum_back(m, s))
def soft_stall_detected(m, s, a, t):
    """A running round without a commit enters a soft stall exactly when the committee
    is below the quorum or no commit has happened for more than the stall threshold."""
    if s.mode != Mode.RUNNING or not _ok(t) or t.height != s.height:
        return True
    idle = s.idle + 1
    stalled = idle > m.config.stall_rounds or s.active < halt_quorum(m.config.committee)
    return (t.mode == Mode.SOFT_STALL) == stalled


@transition(M, ["HLT-11", "HLT-3"], on=[Round], witness=lambda m, s, a, t: s.mode == Mode.SOFT_STALL
            and _quorum_back(m, s))
def soft_stall_resumes_when_quorum_returns(m, s, a, t):
    """Safety approximation of the liveness rule: in a soft stall, the first round with a
    connected quorum back resumes the chain; without it the stall goes on."""
    if s.mode != Mode.SOFT_STALL:
        return True
    return _ok(t) and (t.mode == Mode.RUNNING) == _quorum_back(m, s)


@transition(M, ["HLT-4"], on=[ObserveStateRoots, ObserveEquivocations, DetectFault],
            witness=lambda m, s, a, t: s.mode in (Mode.RUNNING, Mode.SOFT_STALL))
def hard_triggers_halt(m, s, a, t):
    """Two or more contradictory signed roots, an equivocation cluster of the threshold
    size, or any detected fault stops a running or stalled chain as a hard halt; fewer
    roots or equivocators do not."""
    if s.mode not in (Mode.RUNNING, Mode.SOFT_STALL) or not _ok(t):
        return True
    if isinstance(a, ObserveStateRoots):
        trigger = a.roots >= 2
    elif isinstance(a, ObserveEquivocations):
        trigger = a.validators >= m.config.equivocation_cluster
    else:
        trigger = True
    return (t.mode == Mode.HARD_HALT and t.fault and t.phase == Phase.TRIAGE) == trigger and (
        trigger or t.mode == s.mode)


@transition(M, ["HLT-5"], on=[EmergencyHalt, Resume], witness=lambda m, s, a, t: a.signers < m.config.multisig_threshold)
def halt_and_resume_need_multisig(m, s, a, t):
    """Halt and resume messages take effect only with 7 of the 12 multisig signatures."""
    return not _ok(t) or m.config.multisig_threshold <= a.signers <= m.config.multisig_size


@transition(R, ["HLT-5", "HLT-17", "HLT-20"], on=[Rollback, HardFork],
            witness=lambda m, s, a, t: a.signers < m.config.multisig_threshold)
def rollback_and_fork_need_multisig(m, s, a, t):
    """Rollbacks and hard forks take effect only with 7 of the 12 multisig signatures."""
    return not _ok(t) or m.config.multisig_threshold <= a.signers <= m.config.multisig_size


@transition(M, ["HLT-5", "HLT-6"], on=[EmergencyHalt], witness=lambda m, s, a, t: s.mode in MANUAL)
def no_emergency_extension(m, s, a, t):
    """A HaltMessage is refused while the chain is in a hard or emergency halt, so an
    emergency halt cannot be prolonged by a new message."""
    return s.mode not in MANUAL or not _ok(t)


@transition(M, ["HLT-6"], on=[Round, Wait], witness=lambda m, s, a, t: s.mode == Mode.EMERGENCY_HALT
            and _ok(t) and t.mode != Mode.EMERGENCY_HALT)
def emergency_lapses_safely(m, s, a, t):
    """At its limit an emergency halt ends: the chain runs again if no fault is open, and
    otherwise stays stopped as a hard halt."""
    if s.mode != Mode.EMERGENCY_HALT or not _ok(t) or t.mode == Mode.EMERGENCY_HALT:
        return True
    return t.mode == (Mode.HARD_HALT if s.fault else Mode.RUNNING)


@transition(M, ["HLT-15", "HLT-14"], witness=lambda m, s, a, t: s.mode in MANUAL and _ok(t) and t.mode == Mode.RUNNING)
def never_runs_with_unresolved_fault(m, s, a, t):
    """A hard or emergency halt ends in a running chain only once its fault is resolved
    (fixed, found to be a false positive, or replaced by a hard fork)."""
    if s.mode not in MANUAL or not _ok(t) or t.mode != Mode.RUNNING:
        return True
    return not s.fault


@transition(M, ["HLT-13"], witness=lambda m, s, a, t: isinstance(a, RECOVERY) and s.phase == Phase.ROOT_CAUSE)
def investigation_in_order(m, s, a, t):
    """Phases advance one at a time (triage, root cause, recovery plan), and no recovery
    action is taken before the recovery plan."""
    if not _ok(t):
        return True
    if s.phase != Phase.NONE and t.phase != Phase.NONE and t.phase != s.phase and t.phase != s.phase + 1:
        return False
    return not isinstance(a, RECOVERY) or s.phase == Phase.RECOVERY_PLAN


@transition(R, ["HLT-16", "HLT-9"], on=[Resume], witness=lambda m, s, a, t: _ok(t) and s.pending != 0 and a.invalid != 0)
def reentry_revalidates_and_processes_evidence(m, s, a, t):
    """On resume the queued transactions are re-validated (those found invalid are
    dropped, the rest stay queued) and the evidence queued during the halt is processed."""
    if not _ok(t):
        return True
    return (t.mode == Mode.RUNNING and t.mempool == s.mempool & ~a.invalid
            and t.invalid == s.invalid | a.invalid and t.pending == 0 and t.slashed == s.slashed | s.pending)


@transition(R, ["HLT-17"], on=[Rollback], witness=lambda m, s, a, t: _ok(t))
def rollback_within_one_epoch(m, s, a, t):
    """A rollback goes back at most one epoch of commits, never below a commit that has
    become irreversible, and only with the multisig in a hard or emergency halt."""
    if not _ok(t):
        return True
    return (s.mode in MANUAL and t.height >= s.floor and 0 < s.height - t.height <= m.config.epoch_length)


@transition(R, ["HLT-17", "HLT-20"], witness=lambda m, s, a, t: _ok(t) and t.height < s.height)
def no_rollback_past_the_window(m, s, a, t):
    """Irreversibility only grows, and nothing but a hard fork moves the chain below it."""
    if not _ok(t) or isinstance(a, HardFork):
        return True
    return t.floor >= s.floor and t.height >= s.floor


@transition(R, ["HLT-20"], on=[HardFork], witness=lambda m, s, a, t: _ok(t) and a.target < s.floor)
def hard_fork_sets_new_genesis(m, s, a, t):
    """Beyond the window only a hard fork moves the chain back; its genesis is final and
    it carries the software update."""
    if not _ok(t):
        return True
    return t.height == a.target and t.floor == a.target and not t.fault


@transition(R, ["HLT-18", "HLT-19"], on=[Rollback, HardFork], witness=lambda m, s, a, t: _ok(t)
            and s.pending & BAD_ROOT != 0)
def reconciliation_returns_transactions(m, s, a, t):
    """A rollback discards the later commits, returns their still-valid transactions to
    the mempool, and slashes the signers of bad state roots."""
    if not _ok(t):
        return True
    discarded = 0
    for c in s.commits[a.target:]:
        discarded |= c
    return (t.commits == s.commits[:a.target] and t.mempool == s.mempool | (discarded & ~a.invalid)
            and (s.pending & BAD_ROOT == 0 or (t.slashed & BAD_ROOT and not t.pending & BAD_ROOT)))


@transition(R, ["HLT-23"], witness=lambda m, s, a, t: s.mode in MANUAL and s.height > 0 and isinstance(a, ApplyFix))
def halt_preserves_the_chain(m, s, a, t):
    """During a hard or emergency halt nothing changes the committed chain except an
    authorized rollback or hard fork (the forensic state is preserved)."""
    if s.mode not in MANUAL or not _ok(t) or isinstance(a, (Rollback, HardFork)):
        return True
    return t.commits == s.commits


@transition(M, ["HLT-21"], on=[Perform], witness=lambda m, s, a, t: a.activity == Activity.DECRYPTION
            and s.mode == Mode.RUNNING and s.dkg_failures > 0)
def dkg_partial_halt(m, s, a, t):
    """On a running chain decryption works until more than the tolerated number of
    consecutive DKG rounds have failed, and is disabled after."""
    if a.activity != Activity.DECRYPTION or s.mode != Mode.RUNNING:
        return True
    return _ok(t) == (s.dkg_failures <= m.config.dkg_failure_limit)


@transition(M, ["HLT-21", "HLT-8"], on=[Round], witness=lambda m, s, a, t: s.dkg_failures > m.config.dkg_failure_limit
            and _ok(t) and t.height > s.height)
def partial_halt_keeps_committing(m, s, a, t):
    """The DKG partial halt is not a halt: commits go on (a new epoch re-enables encryption)."""
    if s.mode != Mode.RUNNING or not _quorum_back(m, s):
        return True
    return _ok(t) and t.height == s.height + 1


@transition(M, ["HLT-21"], on=[Round, DkgSucceeded], witness=lambda m, s, a, t: _ok(t) and s.dkg_failures > 0
            and (isinstance(a, DkgSucceeded) or t.height > s.height))
def dkg_failures_reset_by_success_or_new_epoch(m, s, a, t):
    """A successful DKG ceremony, or a commit that starts a new epoch, clears the count of
    failed DKG rounds (and so re-enables encryption); other commits keep it."""
    if not _ok(t):
        return True
    if isinstance(a, DkgSucceeded):
        return t.dkg_failures == 0
    if t.height > s.height:
        new_epoch = t.height % m.config.epoch_length == 0
        return t.dkg_failures == (0 if new_epoch else s.dkg_failures)
    return t.dkg_failures == s.dkg_failures


# -- liveness (declared; checked by the liveness engine once it exists) ------------------------------


def _stall_with_quorum(m, s):
    return s.mode == Mode.SOFT_STALL and _quorum_back(m, s)


@leads_to(M, ["HLT-11"], goal=lambda m, s: s.mode != Mode.SOFT_STALL or not _quorum_back(m, s))
def soft_stall_resumes_on_its_own(m, s):
    """Under weak fairness of rounds, a soft stall whose quorum is back does not persist: it
    resumes on its own (unless the quorum leaves again or a halt supersedes it first)."""
    return _stall_with_quorum(m, s)


@leads_to(M, ["HLT-6"], goal=lambda m, s: s.mode != Mode.EMERGENCY_HALT)
def emergency_halt_ends(m, s):
    """Under weak fairness of rounds, every emergency halt ends (the 30-day limit)."""
    return s.mode == Mode.EMERGENCY_HALT


# -- reachability witnesses (the playbooks' situations on the tiny abstraction) -----------------------


@sometimes(M, ["HLT-2", "HLT-12"])
def soft_stall_escalates(m, s):
    """Playbook B: a soft stall lasts long enough to escalate."""
    return s.mode == Mode.SOFT_STALL and s.timer > m.config.escalation_rounds


@sometimes(R, ["HLT-17", "HLT-19", "HLT-16"])
def running_after_bad_root_rollback(m, s):
    """Playbook A: after a state-root divergence the chain rolled back, slashed the bad
    signers and runs again with the discarded transaction queued."""
    return s.mode == Mode.RUNNING and s.slashed & BAD_ROOT and s.mempool and s.floor == s.height > 0


@sometimes(M, ["HLT-21"])
def committing_without_encryption(m, s):
    """Playbook D: the chain commits while encryption is disabled."""
    return s.mode == Mode.RUNNING and s.height > 0 and s.dkg_failures > m.config.dkg_failure_limit


@sometimes(R, ["HLT-20"])
def running_on_a_hard_fork(m, s):
    """Playbook E: the chain runs on a hard fork below the old window, with the forking
    equivocators slashed."""
    return s.mode == Mode.RUNNING and s.slashed & EQUIVOCATION and s.floor == s.height == 0 and s.invalid


# -- mutants of the ``halts`` machine ---------------------------------------------------------------


@mutant(M, "hlt_commit_in_soft_stall", kills=["no_commit_while_halted"])
class CommitInSoftStall(HaltsMachine):
    """Commits are not paused in a soft stall: a stalled round with a quorum commits
    (instead of resuming first)."""

    def activity_status(self, mode, activity):
        if mode == Mode.SOFT_STALL and activity == Activity.COMMITS:
            return super().activity_status(Mode.RUNNING, activity)
        return super().activity_status(mode, activity)

    def process_round(self, s, a):
        if s.mode == Mode.SOFT_STALL and self.can_commit(s):
            return self.process_commit(s)
        return super().process_round(s, a)


@mutant(M, "hlt_evidence_refused_in_hard_halt", kills=["evidence_accepted_in_every_halt"])
class EvidenceRefusedInHardHalt(HaltsMachine):
    """The matrix stops slashing-evidence acceptance in a hard halt."""

    def activity_status(self, mode, activity):
        if mode == Mode.HARD_HALT and activity == Activity.SLASHING_EVIDENCE:
            return super().activity_status(Mode.HARD_HALT, Activity.VERTEX_PRODUCTION)
        return super().activity_status(mode, activity)


@mutant(M, "hlt_vertices_in_hard_halt", kills=["activity_matrix_respected"])
class VerticesInHardHalt(HaltsMachine):
    """Vertex production continues during a hard halt."""

    def activity_status(self, mode, activity):
        if activity == Activity.VERTEX_PRODUCTION:
            return super().activity_status(Mode.RUNNING, activity)
        return super().activity_status(mode, activity)


@mutant(M, "hlt_dkg_in_emergency", kills=["dkg_stops_in_manual_halts"])
class DkgInEmergency(HaltsMachine):
    """DKG ceremonies continue during an emergency halt."""

    def activity_status(self, mode, activity):
        if activity == Activity.DKG and mode == Mode.EMERGENCY_HALT:
            return super().activity_status(Mode.RUNNING, activity)
        return super().activity_status(mode, activity)


@mutant(M, "hlt_resume_drops_evidence", kills=["no_evidence_lost"])
class ResumeDropsEvidence(HaltsMachine):
    """Re-entry forgets the evidence queued during the halt."""

    def process_reentry(self, s, invalid):
        return super().process_reentry(attrs.evolve(s, pending=0), invalid)


@mutant(M, "hlt_resume_keeps_evidence_queued", kills=["running_chain_has_no_queued_evidence"])
class ResumeKeepsEvidenceQueued(HaltsMachine):
    """Re-entry does not process the evidence queued during the halt (step 5 left out)."""

    def process_reentry(self, s, invalid):
        t = super().process_reentry(s, invalid)
        return attrs.evolve(t, pending=s.pending, slashed=s.slashed)


@mutant(M, "hlt_resume_keeps_phase", kills=["type_ok"])
class ResumeKeepsPhase(HaltsMachine):
    """Re-entry leaves the investigation phase set on the running chain."""

    def process_reentry(self, s, invalid):
        return attrs.evolve(super().process_reentry(s, invalid), phase=s.phase)


@mutant(M, "hlt_emergency_never_lapses", kills=["emergency_halt_ends"])
class EmergencyNeverLapses(HaltsMachine):
    """The constitutional 30-day limit is never applied: an emergency halt can last forever."""

    def is_emergency_over(self, timer):
        return False


@mutant(M, "hlt_emergency_limit_off_by_one", kills=["emergency_halt_within_limit"])
class EmergencyLimitOffByOne(HaltsMachine):
    """The emergency halt lapses only after its limit (``>`` for ``>=``)."""

    def is_emergency_over(self, timer):
        return timer > self.config.emergency_limit


@mutant(M, "hlt_emergency_lapse_ignores_fault", kills=["emergency_lapses_safely", "never_runs_with_unresolved_fault"])
class EmergencyLapseIgnoresFault(HaltsMachine):
    """At the limit an emergency halt resumes the chain even with its bug unfixed."""

    def process_wait(self, s, a):
        t = super().process_wait(s, a)
        if s.mode == Mode.EMERGENCY_HALT and t.mode == Mode.HARD_HALT:
            return self.process_reentry(s, 0)
        return t


@mutant(M, "hlt_escalates_early", kills=["escalation_only_after_an_hour"])
class EscalatesEarly(HaltsMachine):
    """A soft stall escalates at the hour instead of after it (``>=``)."""

    def is_escalated(self, timer):
        return timer >= self.config.escalation_rounds


@mutant(M, "hlt_stall_ignores_committee_count", kills=["soft_stall_detected"])
class StallIgnoresCommitteeCount(HaltsMachine):
    """Soft-stall detection looks only at the rounds without a commit, not at the active
    committee count."""

    def is_stall_detected(self, s, idle):
        return idle > self.config.stall_rounds


@mutant(M, "hlt_stall_one_round_early", kills=["soft_stall_detected"])
class StallOneRoundEarly(HaltsMachine):
    """``>=`` for ``>`` in "no commit for more than 5 rounds"."""

    def is_stall_detected(self, s, idle):
        return idle >= self.config.stall_rounds or super().is_stall_detected(s, idle)


@mutant(M, "hlt_resume_needs_86", kills=["soft_stall_resumes_when_quorum_returns", "soft_stall_resumes_on_its_own"])
class ResumeNeeds86(HaltsMachine):
    """The seed's literal "safety threshold (86)" read as quorum + 1 for auto-resume
    (decision HLT-D2): a stall with exactly a quorum back does not resume."""

    def may_auto_resume(self, s):
        return s.connected and s.active >= halt_safety_threshold(self.config.committee)


@mutant(M, "hlt_divergence_needs_three_roots", kills=["hard_triggers_halt"])
class DivergenceNeedsThreeRoots(HaltsMachine):
    """Two contradictory signed roots are not enough for a hard halt."""

    def is_divergence(self, roots):
        return roots >= 3


@mutant(M, "hlt_cluster_off_by_one", kills=["hard_triggers_halt"])
class ClusterOffByOne(HaltsMachine):
    """One equivocator below the cluster size already halts the chain."""

    def is_cluster(self, validators):
        return validators >= self.config.equivocation_cluster - 1


@mutant(M, "hlt_multisig_six", kills=["halt_and_resume_need_multisig"])
class MultisigSix(HaltsMachine):
    """6 signatures suffice for a HaltMessage or ResumeMessage."""

    def is_multisig(self, signers):
        return 6 <= signers <= self.config.multisig_size


@mutant(M, "hlt_emergency_extension", kills=["no_emergency_extension"])
class EmergencyExtension(HaltsMachine):
    """A new HaltMessage restarts the emergency clock of a halt in progress."""

    def may_declare_emergency(self, s):
        return s.mode != Mode.HARD_HALT


@mutant(M, "hlt_resume_ignores_fault", kills=["never_runs_with_unresolved_fault"])
class ResumeIgnoresFault(HaltsMachine):
    """The multisig may resume a chain whose fault is not resolved."""

    def may_release(self, s):
        return True


@mutant(M, "hlt_recovery_before_plan", kills=["investigation_in_order"])
class RecoveryBeforePlan(HaltsMachine):
    """Recovery actions are allowed from the root-cause phase on."""

    def require_recovery_plan(self, s, what):
        if s.phase == Phase.ROOT_CAUSE:
            return
        super().require_recovery_plan(s, what)


@mutant(M, "hlt_decrypt_without_dkg", kills=["dkg_partial_halt", "activity_matrix_respected"])
class DecryptWithoutDkg(HaltsMachine):
    """Failed DKG rounds never disable encryption."""

    def is_encryption_disabled(self, s):
        return False


@mutant(M, "hlt_partial_halt_stops_commits", kills=["partial_halt_keeps_committing"])
class PartialHaltStopsCommits(HaltsMachine):
    """The DKG partial halt also pauses commits (treated as a full halt)."""

    def can_commit(self, s):
        return super().can_commit(s) and not self.is_encryption_disabled(s)


@mutant(M, "hlt_dkg_retry_ineffective", kills=["dkg_failures_reset_by_success_or_new_epoch"])
class DkgRetryIneffective(HaltsMachine):
    """A successful DKG retry does not clear the failure count."""

    def process_dkg_succeeded(self, s, a):
        super().process_dkg_succeeded(s, a)
        return s


@mutant(M, "hlt_no_epoch_reset", kills=["dkg_failures_reset_by_success_or_new_epoch"])
class NoEpochReset(HaltsMachine):
    """Encryption stays disabled across epochs."""

    def is_new_epoch(self, height):
        return False


# -- mutants of the ``rollback`` machine -------------------------------------------------------------


@mutant(R, "hlt_no_tx_in_emergency", kills=["transactions_queued_in_every_mode"])
class NoTxInEmergency(RollbackMachine):
    """Transaction submission is refused during an emergency halt."""

    def activity_status(self, mode, activity):
        if activity == Activity.TX_SUBMISSION and mode == Mode.EMERGENCY_HALT:
            return super().activity_status(mode, Activity.DECRYPTION)
        return super().activity_status(mode, activity)


@mutant(R, "hlt_rollback_multisig_six", kills=["rollback_and_fork_need_multisig"])
class RollbackMultisigSix(RollbackMachine):
    """6 signatures suffice to authorize a rollback or a hard fork."""

    def is_multisig(self, signers):
        return 6 <= signers <= self.config.multisig_size


@mutant(R, "hlt_rollback_ignores_window", kills=["rollback_within_one_epoch", "no_rollback_past_the_window"])
class RollbackIgnoresWindow(RollbackMachine):
    """The multisig may roll back to any earlier commit."""

    def is_in_window(self, s, target):
        return 0 <= target < s.height


@mutant(R, "hlt_floor_never_advances", kills=["rollback_within_one_epoch"])
class FloorNeverAdvances(RollbackMachine):
    """Commits never become irreversible (the window is not tracked)."""

    def next_floor(self, floor, height):
        return floor


@mutant(R, "hlt_hard_fork_keeps_floor", kills=["hard_fork_sets_new_genesis", "chain_type_ok"])
class HardForkKeepsFloor(RollbackMachine):
    """A hard fork keeps the old chain's irreversibility floor."""

    def process_hard_fork(self, s, a):
        t = super().process_hard_fork(s, a)
        return attrs.evolve(t, floor=s.floor)


@mutant(R, "hlt_rollback_drops_transactions", kills=["no_transaction_lost", "reconciliation_returns_transactions"])
class RollbackDropsTransactions(RollbackMachine):
    """Transactions of discarded commits are not returned to the mempool."""

    def reconcile(self, s, target, invalid):
        t = super().reconcile(s, target, invalid)
        return attrs.evolve(t, mempool=s.mempool)


@mutant(R, "hlt_rollback_no_bad_root_slash", kills=["reconciliation_returns_transactions"])
class RollbackNoBadRootSlash(RollbackMachine):
    """Reconciliation step 5 is left out at the rollback."""

    def reconcile(self, s, target, invalid):
        t = super().reconcile(s, target, invalid)
        return attrs.evolve(t, slashed=s.slashed, pending=s.pending)


@mutant(R, "hlt_fix_replays_from_parent", kills=["halt_preserves_the_chain", "no_transaction_lost"])
class FixReplaysFromParent(RollbackMachine):
    """The software fix restarts from the parent of the last commit, discarding it
    without a multisig-authorized rollback."""

    def process_apply_fix(self, s, a):
        t = super().process_apply_fix(s, a)
        return attrs.evolve(t, commits=t.commits[:-1]) if t.commits else t


@mutant(R, "hlt_resume_keeps_invalid_queued", kills=["reentry_revalidates_and_processes_evidence", "no_transaction_lost"])
class ResumeKeepsInvalidQueued(RollbackMachine):
    """Re-validation marks transactions invalid but leaves them queued."""

    def process_reentry(self, s, invalid):
        t = super().process_reentry(s, invalid)
        return attrs.evolve(t, mempool=t.mempool | invalid)
