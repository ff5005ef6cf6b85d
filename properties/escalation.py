"""Properties and mutants of the ``escalation`` machine (spec/escalation.md, spec/disputes.md SLS-).

The properties restate the seed's text with the threshold primitives of
``model.thresholds`` (``> n/3``, ``> 2n/3``, ``>= n - f``), independently of the
machine's :meth:`compute_outcome`, and hold under both readings of ``dispute_rule``.
"""

from __future__ import annotations

import attrs

from paraspec.model.core import Rejected
from paraspec.model.escalation import (
    INVALID_OUTCOMES,
    AttestByzantine,
    AttestHonest,
    Build,
    EscalationMachine,
    Finalize,
    Phase,
    Side,
    Tick,
)
from paraspec.model.thresholds import (
    OUTCOME_BOTH,
    OUTCOME_INVALID,
    OUTCOME_INVALID_NO_SLASH,
    OUTCOME_NONE,
    OUTCOME_VALID,
    byzantine_threshold,
    is_more_than_one_third,
    is_more_than_two_thirds,
    is_supermajority,
)

from .core import always, mutant, sometimes, transition

M = "escalation"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


def _n(m) -> int:
    return m.params.n_validators


def _rule(m) -> str:
    return m.params.dispute_rule


def _expected_outcome(m, s) -> int:
    """The outcome the spec text gives for the counts in ``s`` (ESC-3 .. ESC-6, ESC-9)."""
    n = _n(m)
    if _rule(m) == "seed":
        if not is_more_than_two_thirds(s.attesters, n):
            return OUTCOME_NONE
        v = is_more_than_one_third(s.votes_for, n)
        i = is_more_than_one_third(s.votes_against, n)
        cases = [(v and not i, OUTCOME_VALID), (i and not v, OUTCOME_INVALID), (v and i, OUTCOME_INVALID_NO_SLASH)]
        hits = [o for c, o in cases if c]
        assert len(hits) <= 1  # the three cases are disjoint by construction of the text
        return hits[0] if hits else OUTCOME_NONE
    v = is_supermajority(s.votes_for, n)
    i = is_supermajority(s.votes_against, n)
    if v and i:
        return OUTCOME_BOTH
    return OUTCOME_VALID if v else OUTCOME_INVALID if i else OUTCOME_NONE


def _within_bound(m, s) -> bool:
    """At most f validators are byzantine: the fault model of the guarantees (ESC-8)."""
    return s.byzantine <= byzantine_threshold(_n(m))


def _decided(s) -> bool:
    return s.phase == Phase.DECIDED or (s.phase == Phase.CLOSED and s.outcome != OUTCOME_NONE)


# -- invariants ---------------------------------------------------------------------------------


@always(M, ["ESC-8"], witness=lambda m, s: s.byz_both > 0 or s.honest_invalid > 0)
def type_ok(m, s):
    """Counts stay within the validator set, at most f + 1 validators are byzantine, honest
    validators attest only the truth, and only a decided vote carries an outcome."""
    n = _n(m)
    honest = n - s.byzantine
    return (
        0 <= s.byzantine <= byzantine_threshold(n) + 1
        and 0 <= s.honest_valid + s.honest_invalid <= honest
        and (s.honest_invalid == 0 if s.truth_valid else s.honest_valid == 0)
        and min(s.byz_valid, s.byz_invalid, s.byz_both) >= 0
        and s.byz_valid + s.byz_invalid + s.byz_both <= s.byzantine
        and ((s.outcome != OUTCOME_NONE) == _decided(s))
    )


@always(M, ["ESC-1"], witness=lambda m, s: s.votes_for > 0 and s.votes_against > 0)
def both_sides_escalate(m, s):
    """Attestations for both validity and invalidity always put the candidate in escalation
    (every validator checks) or past it."""
    return not (s.votes_for > 0 and s.votes_against > 0 and s.phase == Phase.APPROVAL)


@always(M, ["ESC-3"], witness=lambda m, s: _decided(s))
def no_outcome_without_quorum(m, s):
    """No outcome is reached with 2n/3 or fewer attestations."""
    return not _decided(s) or is_more_than_two_thirds(s.attesters, _n(m))


@always(M, ["ESC-4", "ESC-5", "ESC-6", "ESC-9"], witness=lambda m, s: _decided(s))
def outcome_matches_cases(m, s):
    """A decided vote's outcome is exactly the one case of the text that its counts satisfy
    (the three outcomes are exclusive)."""
    return not _decided(s) or s.outcome == _expected_outcome(m, s)


@always(M, ["ESC-3", "ESC-4", "ESC-5", "ESC-6", "ESC-9"],
        witness=lambda m, s: s.phase != Phase.APPROVAL and is_more_than_two_thirds(s.attesters, _n(m)))
def outcome_reached_once_quorum_attests(m, s):
    """Once more than 2n/3 have attested in an escalation, one of the three outcomes holds
    (seed: they are exhaustive); in the sdk reading, once every honest validator attested
    and at most f are byzantine."""
    if s.phase == Phase.APPROVAL:
        return True
    if _rule(m) == "seed":
        return not is_more_than_two_thirds(s.attesters, _n(m)) or _decided(s)
    all_honest = s.honest_valid + s.honest_invalid == _n(m) - s.byzantine
    return not (all_honest and _within_bound(m, s)) or _decided(s)


@always(M, ["ESC-5", "ESC-6", "ESC-8", "ESC-10"], witness=lambda m, s: s.finalized and _within_bound(m, s))
def invalid_never_finalized(m, s):
    """With at most f byzantine validators, the chain executing an invalid blob is never
    finalized (nor one found invalid)."""
    return not (s.finalized and _within_bound(m, s)) or (s.truth_valid and s.outcome not in INVALID_OUTCOMES)


@always(M, ["ESC-8", "SLS-1", "SLS-2", "SLS-3"],
        witness=lambda m, s: s.phase == Phase.CLOSED and s.slashed_byz + s.fee_byz > 0 and _within_bound(m, s))
def nobody_honest_slashed(m, s):
    """With at most f byzantine validators, no honest validator is slashed, charged a
    distraction fee, or penalized as a non-voter."""
    return not _within_bound(m, s) or (s.slashed_honest == 0 and s.fee_honest == 0 and s.penalized_honest == 0)


@always(M, ["SLS-1"], witness=lambda m, s: s.phase == Phase.CLOSED and s.outcome != OUTCOME_NONE)
def losing_side_slashed(m, s):
    """When the vote closes, exactly the validators on the losing side are slashed:
    invalidity-attesters after a valid outcome, validity-attesters after an invalid one,
    nobody when both sides exceed n/3 (and both sides when both reach a supermajority)."""
    if s.phase != Phase.CLOSED:
        return s.slashed_honest + s.slashed_byz == 0
    losers = {
        OUTCOME_NONE: 0,
        OUTCOME_VALID: s.votes_against,
        OUTCOME_INVALID: s.votes_for,
        OUTCOME_INVALID_NO_SLASH: 0,
        OUTCOME_BOTH: s.attesters,
    }[s.outcome]
    return s.slashed_honest + s.slashed_byz == losers


@always(M, ["SLS-2"], witness=lambda m, s: s.phase == Phase.CLOSED and not (
        is_supermajority(s.votes_for, _n(m)) or is_supermajority(s.votes_against, _n(m))))
def distraction_fee_without_supermajority(m, s):
    """The validity-voters (and only they) pay a distraction fee exactly when the vote
    closes without a supermajority either way (seed reading; the sdk has no fee)."""
    n = _n(m)
    fee = s.fee_honest + s.fee_byz
    if s.phase != Phase.CLOSED:
        return fee == 0
    supermajority = is_supermajority(s.votes_for, n) or is_supermajority(s.votes_against, n)
    if supermajority or _rule(m) == "sdk":
        return fee == 0
    return s.fee_honest == s.honest_valid and s.fee_byz == s.byz_valid + s.byz_both


@always(M, ["SLS-3"], witness=lambda m, s: s.phase == Phase.CLOSED and (
        is_supermajority(s.votes_for, _n(m)) or is_supermajority(s.votes_against, _n(m))))
def non_voters_penalized_after_supermajority(m, s):
    """Once a supermajority is reached, the validators that never voted are penalized when
    the vote closes; without one, nobody is."""
    n = _n(m)
    pen = s.penalized_honest + s.penalized_byz
    if s.phase != Phase.CLOSED:
        return pen == 0
    supermajority = is_supermajority(s.votes_for, n) or is_supermajority(s.votes_against, n)
    return pen == (n - s.attesters if supermajority else 0)


# -- transition properties ---------------------------------------------------------------------------


@transition(M, ["ESC-2", "ESC-10"], on=[Finalize], witness=lambda m, s, a, t: s.phase == Phase.ESCALATED)
def no_grandpa_vote_while_unresolved(m, s, a, t):
    """GRANDPA never finalizes the chain while its candidate's escalation is unresolved,
    nor after an invalid outcome, nor before approval (more than f validity attestations)."""
    if not _accepted(t):
        return True
    if s.phase == Phase.ESCALATED:
        return False
    if s.phase == Phase.APPROVAL:
        return s.votes_against == 0 and s.votes_for > byzantine_threshold(_n(m))
    return s.outcome == OUTCOME_VALID


@transition(M, ["ESC-5", "ESC-6"], on=[Build], witness=lambda m, s, a, t: s.outcome in INVALID_OUTCOMES)
def never_built_on_invalid(m, s, a, t):
    """No block author builds on the chain once its candidate is found invalid."""
    return not (_accepted(t) and s.outcome in INVALID_OUTCOMES)


@transition(M, ["ESC-7"], on=[Tick], witness=lambda m, s, a, t: s.phase == Phase.DECIDED and _accepted(t)
            and t.phase == Phase.CLOSED)
def window_kept_open_after_outcome(m, s, a, t):
    """A decided vote closes (and slashes) only after its window for late votes."""
    if not (_accepted(t) and s.phase == Phase.DECIDED and t.phase == Phase.CLOSED):
        return True
    return t.age > m.params.window


@transition(M, ["ESC-7", "ESC-8"], on=[AttestHonest, AttestByzantine],
            witness=lambda m, s, a, t: s.phase == Phase.DECIDED and _accepted(t))
def late_votes_counted(m, s, a, t):
    """An attestation during the window is counted, and the outcome follows it; after the
    close nothing is accepted."""
    if not _accepted(t):
        return True
    if s.phase == Phase.CLOSED:
        return False
    return t.attesters + t.byz_both >= s.attesters + s.byz_both + 1 and (
        not _decided(t) or t.outcome == _expected_outcome(m, t))


def _duty(m) -> int:
    """The last session after the candidate's whose statements count: one ([IG §2.5.8], DSP-9)
    under reading=seed, ``dispute_period`` (polkadot-sdk, DSP-14) under reading=sdk."""
    return m.params.dispute_period if m.params.reading == "sdk" else 1


@transition(M, ["DSP-9", "DSP-14"], on=[AttestHonest, AttestByzantine], witness=lambda m, s, a, t: s.session > 0)
def votes_within_duty(m, s, a, t):
    """Votes are accepted only when signed with keys of the candidate's session, and only
    until one session after it (seed: validator duty extends one session back), or
    ``dispute_period`` sessions after it (sdk)."""
    if not _accepted(t):
        return True
    key = a.key_session if isinstance(a, AttestHonest) else 0
    return key == 0 and s.session <= _duty(m)


def _out_of_duty(t) -> bool:
    return isinstance(t, Rejected) and t.rule_id in ("DSP-9", "DSP-14")


@transition(M, ["DSP-9", "DSP-14"], on=[AttestHonest, AttestByzantine],
            witness=lambda m, s, a, t: _out_of_duty(t))
def statements_within_duty_not_ancient(m, s, a, t):
    """A statement signed with the candidate's session key while that session is within the
    duty (one session, seed; ``dispute_period`` sessions, sdk) is never refused as out of
    duty (polkadot-sdk: not an ``AncientDisputeStatement``)."""
    if not _out_of_duty(t):
        return True
    key = a.key_session if isinstance(a, AttestHonest) else 0
    return not (key == 0 and s.session <= _duty(m))


# -- reachability witnesses -----------------------------------------------------------------------------


@sometimes(M, ["ESC-4", "SLS-1"])
def valid_outcome_slashes(m, s):
    """A valid outcome slashes a (byzantine) invalidity-attester."""
    return s.phase == Phase.CLOSED and s.outcome == OUTCOME_VALID and s.slashed_byz > 0


@sometimes(M, ["ESC-5", "SLS-1"])
def invalid_outcome_slashes(m, s):
    """An invalid outcome slashes a (byzantine) validity-attester."""
    return s.phase == Phase.CLOSED and s.outcome == OUTCOME_INVALID and s.slashed_byz > 0


@sometimes(M, ["ESC-2", "ESC-4"])
def grandpa_resumes_after_valid_outcome(m, s):
    """GRANDPA finalizes the chain after an escalation ended valid."""
    return s.finalized and s.outcome == OUTCOME_VALID


@sometimes(M, ["ESC-6", "ESC-8"])
def fallback_outcome_beyond_the_bound(m, s):
    """With f + 1 byzantine validators both sides can exceed n/3 (seed reading: invalid,
    nobody slashed; sdk reading: the dispute never concludes although every honest
    validator voted)."""
    if _rule(m) == "seed":
        return s.outcome == OUTCOME_INVALID_NO_SLASH
    return (not _within_bound(m, s) and s.phase == Phase.CLOSED and s.outcome == OUTCOME_NONE
            and s.honest_valid + s.honest_invalid == _n(m) - s.byzantine)


@sometimes(M, ["DSP-9"])
def vote_counted_one_session_later(m, s):
    """An escalation is decided in the session after the candidate's."""
    return s.session == 1 and _decided(s) and s.phase != Phase.APPROVAL


@sometimes(M, ["SLS-2"])
def withheld_blob_closes_without_supermajority(m, s):
    """A withheld blob's escalation closes without an outcome; in the seed reading a
    (byzantine) validity-voter pays the distraction fee."""
    return s.phase == Phase.CLOSED and s.outcome == OUTCOME_NONE and (s.fee_byz > 0 or _rule(m) == "sdk")


# -- mutants ---------------------------------------------------------------------------------------------


@mutant(M, "esc_quorum_inclusive", kills=["no_outcome_without_quorum"], overrides={"n_validators": 6})
class QuorumInclusive(EscalationMachine):
    """The vote is decided at 2n/3 attesters (``>=`` for ``>``); n = 6 makes the difference."""

    def compute_outcome(self, s):
        n = self.params.n_validators
        if not 3 * s.attesters >= 2 * n:
            return OUTCOME_NONE
        v, i = 3 * s.votes_for > n, 3 * s.votes_against > n
        if v and i:
            return OUTCOME_INVALID_NO_SLASH
        return OUTCOME_VALID if v else OUTCOME_INVALID if i else OUTCOME_NONE


@mutant(M, "esc_no_quorum", kills=["no_outcome_without_quorum", "outcome_matches_cases", "late_votes_counted"])
class NoQuorum(EscalationMachine):
    """The outcome is read off the split alone, without waiting for > 2n/3 attesters."""

    def compute_outcome(self, s):
        n = self.params.n_validators
        v, i = 3 * s.votes_for > n, 3 * s.votes_against > n
        if v and i:
            return OUTCOME_INVALID_NO_SLASH
        return OUTCOME_VALID if v else OUTCOME_INVALID if i else OUTCOME_NONE


@mutant(M, "esc_case_three_shadowed", kills=["outcome_matches_cases"],
        overrides={"n_validators": 7, "dispute_rule": "seed"})  # case 3 exists in the seed reading only
class CaseThreeShadowed(EscalationMachine):
    """Both sides above n/3 is read as a valid outcome (case 1 tested before case 3);
    reachable with f = 2 only through equivocating byzantine validators, so n = 7."""

    def compute_outcome(self, s):
        o = super().compute_outcome(s)
        return OUTCOME_VALID if o == OUTCOME_INVALID_NO_SLASH else o


@mutant(M, "esc_majority_split", kills=["outcome_reached_once_quorum_attests"],
        overrides={"dispute_rule": "seed"})  # the n/3 sides of the seed reading
class MajoritySplit(EscalationMachine):
    """A side must exceed n/2 (not n/3) to carry the vote, so some quorate votes never decide."""

    def compute_outcome(self, s):
        n = self.params.n_validators
        if not 3 * s.attesters > 2 * n:
            return OUTCOME_NONE
        v, i = 2 * s.votes_for > n, 2 * s.votes_against > n
        return OUTCOME_VALID if v and not i else OUTCOME_INVALID if i and not v else OUTCOME_NONE


@mutant(M, "esc_lazy_escalation", kills=["both_sides_escalate"])
class LazyEscalation(EscalationMachine):
    """Escalation needs two invalidity attestations, not one."""

    def is_escalated(self, votes_for, votes_against):
        return votes_for > 0 and votes_against > 1


@mutant(M, "esc_grandpa_ignores_escalation", kills=["no_grandpa_vote_while_unresolved", "invalid_never_finalized"])
class GrandpaIgnoresEscalation(EscalationMachine):
    """GRANDPA keeps voting on a chain whose candidate is in escalation."""

    def may_vote_grandpa(self, s):
        if s.phase == Phase.ESCALATED:
            return True
        return super().may_vote_grandpa(s)


@mutant(M, "esc_approval_by_one", kills=["invalid_never_finalized", "no_grandpa_vote_while_unresolved"])
class ApprovalByOne(EscalationMachine):
    """One validity attestation approves the candidate for GRANDPA (not more than f)."""

    def may_vote_grandpa(self, s):
        if s.phase == Phase.APPROVAL:
            return s.votes_against == 0 and s.votes_for > 0
        return super().may_vote_grandpa(s)


@mutant(M, "esc_builds_on_invalid", kills=["never_built_on_invalid"])
class BuildsOnInvalid(EscalationMachine):
    """Block authors keep building on a chain whose candidate was found invalid."""

    def may_build(self, s):
        return True


@mutant(M, "esc_closes_at_outcome", kills=["window_kept_open_after_outcome"])
class ClosesAtOutcome(EscalationMachine):
    """The vote closes at the first block after its outcome: no window for late votes."""

    def is_window_over(self, age):
        return True


@mutant(M, "esc_slash_winners", kills=["losing_side_slashed", "nobody_honest_slashed"])
class SlashWinners(EscalationMachine):
    """The winning side is slashed instead of the losing one."""

    def compute_closing(self, s):
        flipped = {OUTCOME_VALID: OUTCOME_INVALID, OUTCOME_INVALID: OUTCOME_VALID}.get(s.outcome, s.outcome)
        return super().compute_closing(attrs.evolve(s, outcome=flipped))


@mutant(M, "esc_honest_rubber_stamp", kills=["type_ok", "invalid_never_finalized"])
class HonestRubberStamp(EscalationMachine):
    """Honest validators attest validity without checking the blob."""

    def honest_side(self, s):
        return Side.VALID


@mutant(M, "esc_no_synchrony", kills=["nobody_honest_slashed"])
class NoSynchrony(EscalationMachine):
    """Time passes while honest attestations are outstanding (validators censored), so a
    vote can close before the honest majority is heard."""

    def honest_due(self, s):
        return False


@mutant(M, "esc_fee_always", kills=["distraction_fee_without_supermajority"])
class FeeAlways(EscalationMachine):
    """The validity-voters pay the distraction fee even when a supermajority was reached."""

    def compute_closing(self, s):
        out = super().compute_closing(s)
        out["fee_honest"] = s.honest_valid
        out["fee_byz"] = s.byz_valid + s.byz_both
        return out


@mutant(M, "esc_non_voters_spared", kills=["non_voters_penalized_after_supermajority"],
        overrides={"n_validators": 7})
class NonVotersSpared(EscalationMachine):
    """Non-voters are never penalized (a byzantine non-voter exists once f >= 2, so n = 7)."""

    def compute_closing(self, s):
        out = super().compute_closing(s)
        out["penalized_honest"] = out["penalized_byz"] = 0
        return out


@mutant(M, "esc_current_session_keys", kills=["votes_within_duty"])
class CurrentSessionKeys(EscalationMachine):
    """Votes signed with the current session's keys are accepted (not the candidate's)."""

    def is_duty_session(self, s, key_session):
        return key_session in (0, s.session) and s.session <= self.duty_sessions()


@mutant(M, "esc_duty_two_sessions", kills=["votes_within_duty"])
class DutyTwoSessions(EscalationMachine):
    """The candidate's validators are still on duty one session past the reading's duty (two
    sessions later under seed; ``dispute_period + 1`` under sdk: an ancient statement accepted)."""

    def is_duty_session(self, s, key_session):
        return key_session == 0 and s.session <= self.duty_sessions() + 1

    def session_bound(self):
        return super().session_bound() + 1


@mutant(M, "esc_sdk_duty_one_session", kills=["statements_within_duty_not_ancient"], overrides={"reading": "sdk"})
class SdkDutyOneSession(EscalationMachine):
    """Under sdk, statements are refused one session after the candidate's ([IG]'s duty), not
    kept for ``dispute_period`` sessions (DSP-14)."""

    def duty_sessions(self):
        return self.params.dispute_sessions


@mutant(M, "esc_duty_ends_with_the_session", kills=["statements_within_duty_not_ancient"])
class DutyEndsWithTheSession(EscalationMachine):
    """Statements on the candidate are refused once its session has ended (no session of duty
    after it, under either reading)."""

    def duty_sessions(self):
        return 0

    def session_bound(self):
        return super().session_bound() + 1
