"""Invalidity escalation and dispute incentives: [AnV §1.10.3] and [IG §2.5.9].

A count-level machine (validators are interchangeable, so the state holds how many
honest and how many byzantine validators attested each way, not who). One candidate
receipt, already included, is approval-checked. When it has attestations for both its
validity and its invalidity, every validator acquires and checks the blob (ESC-1) and
GRANDPA stops voting on the chain (ESC-2). Once the vote is decided (ESC-3 .. ESC-6 in
the seed's reading, ESC-9 in polkadot-sdk's, selected by ``dispute_rule``), a window
stays open for late votes (ESC-7); when it closes, the losing side is slashed
(SLS-1), the validity-voters pay a distraction fee when no side has a supermajority
(SLS-2), and non-voters are penalized when one has (SLS-3).

The fault model (ESC-8): byzantine validators may attest either way, both ways, or not
at all; honest validators attest the truth, and only when they can obtain the blob;
time does not pass while an honest validator's due attestation is outstanding (the
seed's assumption that validators are not censored indefinitely). The machine explores
up to ``f + 1`` byzantine validators: with at most ``f`` the properties show that
nobody honest is ever slashed; the one beyond the bound exercises the seed's fallback
outcome (both sides above n/3) and shows the bound is needed.

Votes are signed with the keys of the candidate's session, and the validators of that
session keep their duty one session after it (DSP-9 of ``spec/disputes.md``, modelled
here because this machine has the votes); under ``reading=sdk`` statements on the
candidate are accepted for ``dispute_period`` sessions after its session (DSP-14,
decision DSP-D3).

Rules ESC-1 .. ESC-10 of ``spec/escalation.md``; SLS-1 .. SLS-3 and DSP-9 of
``spec/disputes.md`` (and DSP-14, reading=sdk). The outcome arithmetic is :func:`model.thresholds.dispute_outcome`,
shared with the ``disputes`` machine.
"""

from __future__ import annotations

import enum

import attrs

from .config import check_choice_field, check_int_fields
from .readings import check_reading, is_sdk
from .core import Machine, register_machine, require
from .rules import implements
from .thresholds import (
    DISPUTE_RULES,
    OUTCOME_BOTH,
    OUTCOME_INVALID,
    OUTCOME_INVALID_NO_SLASH,
    OUTCOME_NONE,
    OUTCOME_VALID,
    byzantine_threshold,
    dispute_outcome,
    has_supermajority_either_way,
    is_dispute_session_kept,
    is_byzantine_exceeded,
)

__all__ = [
    "Phase",
    "Side",
    "EscalationConfig",
    "ESCALATION_PRESETS",
    "EscalationState",
    "AttestHonest",
    "AttestByzantine",
    "Finalize",
    "Build",
    "Tick",
    "NewSession",
    "EscalationMachine",
    "INVALID_OUTCOMES",
    "losing_side",
]


class Phase(enum.IntEnum):
    #: secondary approval checking: only assigned checkers attest
    APPROVAL = 0
    #: attestations on both sides: every validator checks, GRANDPA waits (ESC-1, ESC-2)
    ESCALATED = 1
    #: an outcome is reached; the window for late votes is open (ESC-7)
    DECIDED = 2
    #: the window closed; slashing, fees and penalties are applied (SLS-1 .. SLS-3)
    CLOSED = 3


class Side(enum.IntEnum):
    VALID = 1
    INVALID = 2


#: outcomes under which the blob is considered invalid (ESC-5, ESC-6, sdk)
INVALID_OUTCOMES = (OUTCOME_INVALID, OUTCOME_INVALID_NO_SLASH, OUTCOME_BOTH)


@implements("SLS-1")
def losing_side(outcome: int) -> tuple[bool, bool]:
    """(slash the validity-attesters, slash the invalidity-attesters) for an outcome (SLS-1)."""
    if outcome == OUTCOME_VALID:
        return False, True
    if outcome == OUTCOME_INVALID:
        return True, False
    if outcome == OUTCOME_BOTH:
        return True, True
    return False, False


@attrs.frozen
class EscalationConfig:
    """Parameters of the ``escalation`` machine (``spec/escalation.md``).

    The fault bound f is derived from ``n_validators``; the machine explores up to
    ``f + 1`` byzantine validators (ESC-8), never more than there are validators.
    """

    name: str = "custom"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    n_validators: int = 4
    #: blocks the vote stays open after an outcome (ESC-7)
    window: int = 1
    #: blocks an escalation may wait for votes when the blob cannot be obtained
    timeout: int = 1
    #: "seed" or "sdk" (decision ESC-D1)
    dispute_rule: str = "seed"
    #: sessions after the candidate's during which its validators still vote (DSP-9, reading=seed)
    dispute_sessions: int = 1
    #: sessions after a dispute's session during which its statements are accepted (DSP-14, reading=sdk;
    #: polkadot-sdk's ``HostConfiguration::dispute_period``, 6 by default)
    dispute_period: int = 6
    #: exploration bound: session changes explored beyond the last session of duty
    max_session: int = 1

    @property
    def fault_bound(self) -> int:
        """f: the most byzantine validators the guarantees assume (ESC-8)."""
        return byzantine_threshold(self.n_validators)

    @property
    def max_byzantine(self) -> int:
        """The most byzantine validators explored: one beyond the bound (ESC-8)."""
        return self.fault_bound + 1

    def validate(self) -> "EscalationConfig":
        check_int_fields(self, {"n_validators": 1, "window": 0, "timeout": 1, "dispute_sessions": 0,
                                "dispute_period": 0, "max_session": 0})
        check_choice_field(self, "dispute_rule", DISPUTE_RULES)
        check_reading(self)
        return self


#: named parameter sets: ``tiny`` (4 validators, f = 1) is the one ``make check``
#: explores; ``small`` has 5 (f = 1, and 2/3 of n is not whole); ``n7_f2`` has 7 (f = 2)
ESCALATION_PRESETS: dict[str, EscalationConfig] = {
    p.name: p.validate() for p in (
        EscalationConfig(name="tiny", n_validators=4),
        EscalationConfig(name="small", n_validators=5),
        EscalationConfig(name="n7_f2", n_validators=7),
    )
}


@attrs.frozen(cache_hash=True)
class EscalationState:
    #: ground truth: is the blob valid?
    truth_valid: bool
    #: how many validators are byzantine
    byzantine: int
    #: can honest validators obtain the blob (false only if byzantine backers withhold it)
    obtainable: bool
    phase: Phase = Phase.APPROVAL
    #: honest validators that attested validity / invalidity
    honest_valid: int = 0
    honest_invalid: int = 0
    #: byzantine validators that attested validity only / invalidity only / both ways
    byz_valid: int = 0
    byz_invalid: int = 0
    byz_both: int = 0
    #: the current outcome code (``model.thresholds.OUTCOME_*``)
    outcome: int = OUTCOME_NONE
    #: blocks since the escalation or since the outcome
    age: int = 0
    #: the chain holding the candidate was finalized / extended since it was included
    finalized: bool = False
    extended: bool = False
    #: what closing applied, per honest/byzantine (SLS-1 .. SLS-3)
    slashed_honest: int = 0
    slashed_byz: int = 0
    fee_honest: int = 0
    fee_byz: int = 0
    penalized_honest: int = 0
    penalized_byz: int = 0
    #: sessions since the candidate's (the candidate's session is 0)
    session: int = 0

    # -- derived counts ------------------------------------------------------------------
    @property
    def votes_for(self) -> int:
        return self.honest_valid + self.byz_valid + self.byz_both

    @property
    def votes_against(self) -> int:
        return self.honest_invalid + self.byz_invalid + self.byz_both

    @property
    def attesters(self) -> int:
        return self.honest_valid + self.honest_invalid + self.byz_valid + self.byz_invalid + self.byz_both


@attrs.frozen
class AttestHonest:
    """The next honest validator checks the blob and attests what it finds, signing with
    its key of session ``key_session``."""

    key_session: int = 0


@attrs.frozen
class AttestByzantine:
    """A byzantine validator attests ``side``; ``double`` turns a one-sided byzantine
    attester into one on both sides (an equivocation), otherwise a fresh one attests."""

    side: Side
    double: bool = False


@attrs.frozen
class Finalize:
    """GRANDPA finalizes the relay-chain block that executed the candidate."""


@attrs.frozen
class Build:
    """A block author builds on the chain that executed the candidate."""


@attrs.frozen
class Tick:
    """A relay-chain block passes."""


@attrs.frozen
class NewSession:
    """A session change: the candidate's validators move one session further from it."""


@register_machine
class EscalationMachine(Machine):
    """Invalidity escalation with its three outcomes, and dispute incentives (count level)."""

    name = "escalation"
    area = "escalation"
    description = "invalidity escalation, its outcomes, slashing and fees ([AnV §1.10.3], [IG §2.5.9])"

    Params = EscalationConfig
    presets = ESCALATION_PRESETS
    default_preset = "tiny"
    #: each reading reads its own window of duty (DSP-9 under seed, DSP-14 under sdk): the other
    #: reading's parameter, set to another value, is refused rather than ignored
    parameter_conditions = {"dispute_sessions": ("reading", "seed"), "dispute_period": ("reading", "sdk")}

    def __init__(self, params: EscalationConfig):
        super().__init__(params)

    # -- the fault model (ESC-8) --------------------------------------------------------------
    @implements("ESC-8")
    def max_byzantine(self) -> int:
        """ESC-8: the byzantine validators explored (f + 1: the bound and one beyond)."""
        return self.params.max_byzantine

    def honest_count(self, s: EscalationState) -> int:
        return self.params.n_validators - s.byzantine

    @implements("ESC-8")
    def honest_side(self, s: EscalationState) -> Side:
        """ESC-8: an honest validator attests the truth."""
        return Side.VALID if s.truth_valid else Side.INVALID

    @implements("ESC-8")
    def honest_can_attest(self, s: EscalationState) -> bool:
        """ESC-8: an honest validator that has not attested can, if it can obtain the blob
        and the vote is not closed; before escalation only as an assigned checker."""
        remaining = self.honest_count(s) - s.honest_valid - s.honest_invalid
        return (s.obtainable and remaining > 0 and s.phase != Phase.CLOSED
                and self.is_duty_session(s, 0))

    @implements("ESC-8")
    def honest_due(self, s: EscalationState) -> bool:
        """ESC-8 (synchrony): an honest attestation is due once every validator must check."""
        return s.phase in (Phase.ESCALATED, Phase.DECIDED) and self.honest_can_attest(s)

    # -- rules ------------------------------------------------------------------------------------
    @implements("DSP-9", "DSP-14")
    def duty_sessions(self) -> int:
        """The sessions after the candidate's in which statements on it are accepted: DSP-9
        (reading=seed, [IG §2.5.8]: one more session, ``dispute_sessions``); DSP-14
        (reading=sdk: ``dispute_period``, polkadot-sdk ``session_info.rs`` keeps a session's
        validators while ``s + dispute_period >= current``, and ``disputes.rs`` refuses a
        statement set of an unkept session as ``AncientDisputeStatement``)."""
        return self.params.dispute_period if is_sdk(self.params) else self.params.dispute_sessions

    @implements("DSP-9", "DSP-14")
    def is_duty_session(self, s: EscalationState, key_session: int) -> bool:
        """DSP-9, DSP-14: votes are signed with keys of the candidate's session and accepted
        until :meth:`duty_sessions` sessions after it."""
        return key_session == 0 and is_dispute_session_kept(0, s.session, self.duty_sessions())

    def duty_rule(self) -> str:
        """The rule that refuses a statement out of duty: DSP-14 under reading=sdk, else DSP-9."""
        return "DSP-14" if is_sdk(self.params) else "DSP-9"

    def session_bound(self) -> int:
        """Exploration bound: the last session explored (``max_session`` past the duty)."""
        return self.duty_sessions() + self.params.max_session

    @implements("ESC-1")
    def is_escalated(self, votes_for: int, votes_against: int) -> bool:
        """ESC-1: attestations for both validity and invalidity escalate."""
        return votes_for > 0 and votes_against > 0

    @implements("ESC-3", "ESC-6", "ESC-9")
    def compute_outcome(self, s: EscalationState) -> int:
        """ESC-3 .. ESC-6 (seed) / ESC-9 (sdk): the outcome of the vote so far."""
        return dispute_outcome(s.votes_for, s.votes_against, s.attesters, self.params.n_validators,
                               self.params.dispute_rule)

    @implements("ESC-2", "ESC-4", "ESC-10")
    def may_vote_grandpa(self, s: EscalationState) -> bool:
        """ESC-2, ESC-4, ESC-10: GRANDPA votes on the chain before any escalation once the
        candidate is approved (more than f validity attestations, none against), never
        while an escalation is unresolved, and again after a valid outcome."""
        if s.phase == Phase.APPROVAL:
            return s.votes_against == 0 and is_byzantine_exceeded(s.votes_for, self.params.n_validators)
        if s.phase == Phase.ESCALATED:
            return False
        return s.outcome == OUTCOME_VALID

    @implements("ESC-5", "ESC-6")
    def may_build(self, s: EscalationState) -> bool:
        """ESC-5, ESC-6: nobody builds on a chain whose candidate was found invalid."""
        return s.outcome not in INVALID_OUTCOMES

    @implements("ESC-7")
    def is_window_over(self, age: int) -> bool:
        """ESC-7: the vote stays open ``window`` blocks after its outcome."""
        return age > self.params.window

    @implements("SLS-2")
    def is_timed_out(self, age: int) -> bool:
        """SLS-2: an escalation without an outcome closes after ``timeout`` blocks."""
        return age >= self.params.timeout

    @implements("SLS-1", "SLS-3")
    def compute_closing(self, s: EscalationState) -> dict:
        """SLS-1 .. SLS-3: slashes, fees and penalties applied when the vote closes."""
        n = self.params.n_validators
        slash_for, slash_against = losing_side(s.outcome)
        slashed_h = (s.honest_valid if slash_for else 0) + (s.honest_invalid if slash_against else 0)
        slashed_b = ((s.byz_valid if slash_for else 0) + (s.byz_invalid if slash_against else 0)
                     + (s.byz_both if slash_for or slash_against else 0))
        fee_h = fee_b = pen_h = pen_b = 0
        if has_supermajority_either_way(s.votes_for, s.votes_against, n):
            # SLS-3: non-voters are penalized once a supermajority is reached
            pen_h = self.honest_count(s) - s.honest_valid - s.honest_invalid
            pen_b = s.byzantine - s.byz_valid - s.byz_invalid - s.byz_both
        elif self.params.dispute_rule == "seed":
            # SLS-2: without a supermajority the validity-voters pay a distraction fee
            fee_h = s.honest_valid
            fee_b = s.byz_valid + s.byz_both
        return dict(slashed_honest=slashed_h, slashed_byz=slashed_b, fee_honest=fee_h, fee_byz=fee_b,
                    penalized_honest=pen_h, penalized_byz=pen_b)

    # -- machine --------------------------------------------------------------------------------
    def init(self):
        for truth_valid in (True, False):
            for byz in range(self.max_byzantine() + 1):
                for obtainable in (True, False):
                    # the candidate's backer attests validity: honest only for a valid,
                    # obtainable blob; otherwise a byzantine validator backed it
                    honest_backer = truth_valid and obtainable
                    if not honest_backer and byz == 0:
                        continue
                    yield EscalationState(truth_valid=truth_valid, byzantine=byz, obtainable=obtainable,
                                          honest_valid=1 if honest_backer else 0,
                                          byz_valid=0 if honest_backer else 1)

    def actions(self, s: EscalationState):
        yield AttestHonest(0)
        if s.session > 0:
            yield AttestHonest(s.session)  # signed with a current-session key
        for side in (Side.VALID, Side.INVALID):
            yield AttestByzantine(side, False)
            yield AttestByzantine(side, True)
        yield Finalize()
        yield Build()
        yield Tick()
        if s.session < self.session_bound():
            yield NewSession()

    def _after_vote(self, s: EscalationState) -> EscalationState:
        """Re-evaluate escalation and outcome after an attestation."""
        if s.phase == Phase.APPROVAL and self.is_escalated(s.votes_for, s.votes_against):
            s = attrs.evolve(s, phase=Phase.ESCALATED, age=0)
        if s.phase in (Phase.ESCALATED, Phase.DECIDED):
            outcome = self.compute_outcome(s)
            if s.phase == Phase.ESCALATED and outcome != OUTCOME_NONE:
                s = attrs.evolve(s, phase=Phase.DECIDED, outcome=outcome, age=0)
            elif s.phase == Phase.DECIDED:
                s = attrs.evolve(s, outcome=outcome)
        return s

    def process_attest_honest(self, s: EscalationState, a: AttestHonest) -> EscalationState:
        key_session = a.key_session
        require(self.is_duty_session(s, key_session), self.duty_rule(),
                f"a key of session {key_session} in session {s.session}: not the candidate's validators on duty")
        require(self.honest_can_attest(s), "ESC-8", "no honest validator can attest now")
        if self.honest_side(s) == Side.VALID:
            s = attrs.evolve(s, honest_valid=s.honest_valid + 1)
        else:
            s = attrs.evolve(s, honest_invalid=s.honest_invalid + 1)
        return self._after_vote(s)

    def process_attest_byzantine(self, s: EscalationState, a: AttestByzantine) -> EscalationState:
        require(self.is_duty_session(s, 0), self.duty_rule(), "the candidate's validators are no longer on duty")
        require(s.phase != Phase.CLOSED, "ESC-7", "the vote is closed")
        if a.double:
            one_sided = s.byz_invalid if a.side == Side.VALID else s.byz_valid
            require(one_sided > 0, "ESC-8", "no byzantine validator attested the other side only")
            if a.side == Side.VALID:
                s = attrs.evolve(s, byz_invalid=s.byz_invalid - 1, byz_both=s.byz_both + 1)
            else:
                s = attrs.evolve(s, byz_valid=s.byz_valid - 1, byz_both=s.byz_both + 1)
        else:
            fresh = s.byzantine - s.byz_valid - s.byz_invalid - s.byz_both
            require(fresh > 0, "ESC-8", "no byzantine validator left to attest")
            if a.side == Side.VALID:
                s = attrs.evolve(s, byz_valid=s.byz_valid + 1)
            else:
                s = attrs.evolve(s, byz_invalid=s.byz_invalid + 1)
        return self._after_vote(s)

    def process_finalize(self, s: EscalationState, a: Finalize) -> EscalationState:
        require(not s.finalized, "ESC-2", "already finalized")
        require(self.may_vote_grandpa(s), "ESC-2", "GRANDPA does not vote on this chain now")
        return attrs.evolve(s, finalized=True)

    def process_build(self, s: EscalationState, a: Build) -> EscalationState:
        require(not s.extended, "ESC-5", "already extended")
        require(self.may_build(s), "ESC-5", "the chain executed an invalid candidate")
        return attrs.evolve(s, extended=True)

    def process_tick(self, s: EscalationState, a: Tick) -> EscalationState:
        require(s.phase in (Phase.ESCALATED, Phase.DECIDED), "ESC-7", "no vote is open")
        require(not self.honest_due(s), "ESC-8", "an honest validator's attestation is still due")
        age = s.age + 1
        if s.phase == Phase.DECIDED and self.is_window_over(age):
            return attrs.evolve(s, phase=Phase.CLOSED, age=age, **self.compute_closing(s))
        if s.phase == Phase.ESCALATED and self.is_timed_out(age):
            return attrs.evolve(s, phase=Phase.CLOSED, age=age, **self.compute_closing(s))
        return attrs.evolve(s, age=age)

    def process_new_session(self, s: EscalationState, a: NewSession) -> EscalationState:
        require(s.session < self.session_bound(), "DSP-9", "exploration bound on sessions")
        require(not self.honest_due(s), "ESC-8", "an honest validator's attestation is still due")
        return attrs.evolve(s, session=s.session + 1)
