"""Properties and mutants of the ``availability`` machine (spec/availability.md)."""

from __future__ import annotations

from paraspec.model.availability import AvailabilityMachine, EndBlock, SignBitfield, Status
from paraspec.model.core import Rejected
from paraspec.model.thresholds import is_more_than_two_thirds

from .core import always, mutant, sometimes, transition

M = "availability"

S = Status
#: AV-8: the status table of [AnV §1.7] at block boundaries, per para and candidate
#: (same: the candidate stays the same one; new: a new candidate was noted)
ALLOWED = {
    (S.NO_CANDIDATE, S.NO_CANDIDATE, "same"),
    (S.NO_CANDIDATE, S.TO_BE_DETERMINED, "new"),
    (S.TO_BE_DETERMINED, S.TO_BE_DETERMINED, "same"),
    (S.TO_BE_DETERMINED, S.AVAILABLE, "same"),
    (S.TO_BE_DETERMINED, S.UNAVAILABLE, "same"),
    (S.AVAILABLE, S.NO_CANDIDATE, "same"),
    (S.AVAILABLE, S.TO_BE_DETERMINED, "new"),
    (S.UNAVAILABLE, S.NO_CANDIDATE, "same"),
    (S.UNAVAILABLE, S.TO_BE_DETERMINED, "new"),
}


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


# -- invariants ------------------------------------------------------------------------


@always(M, ["AV-8", "AV-9"], witness=lambda m, s: any(p.votes for p in s.paras))
def type_ok(m, s):
    """Votes name existing validators; only a live or decided candidate carries votes;
    ages stay within the timeout."""
    n = m.config.n_validators
    t = m.config.chain_availability_period
    return 0 <= s.signed <= n and all(
        0 <= p.votes < (1 << n)
        and 0 <= p.age <= t
        and (p.status != S.NO_CANDIDATE or p.votes == 0)
        and 0 <= p.noted
        for p in s.paras
    )


@always(M, ["AV-6", "TH-2"], witness=lambda m, s: any(p.status == S.AVAILABLE for p in s.paras))
def available_only_above_two_thirds(m, s):
    """A candidate is available only with more than 2/3 of the validators' bits."""
    n = m.config.n_validators
    return all(p.status != S.AVAILABLE or is_more_than_two_thirds(p.votes.bit_count(), n) for p in s.paras)


@always(M, ["AV-7"], witness=lambda m, s: any(p.status == S.UNAVAILABLE for p in s.paras))
def undetermined_within_timeout(m, s):
    """A candidate stays "to be determined" for fewer than t blocks of voting."""
    t = m.config.chain_availability_period
    return all(p.status != S.TO_BE_DETERMINED or p.age < t for p in s.paras)


@always(M, ["AV-7", "AV-8"], witness=lambda m, s: any(p.timed_out for p in s.paras))
def timed_out_never_enacted(m, s):
    """No candidate is both declared unavailable (timed out) and acted on as available."""
    return all(p.enacted & p.timed_out == 0 for p in s.paras)


# -- transition properties ---------------------------------------------------------------


@transition(M, ["AV-8", "AV-10"], on=[EndBlock], witness=lambda m, s, a, t: _accepted(t)
            and any(p.status != q.status for p, q in zip(s.paras, t.paras)))
def status_follows_table(m, s, a, t):
    """Block to block, each para's status moves only along the seed's table, and a new
    candidate is noted only for a para without one."""
    if not isinstance(a, EndBlock) or not _accepted(t):
        return True
    for p, q in zip(s.paras, t.paras):
        kind = "new" if q.noted != p.noted else "same"
        if (p.status, q.status, kind) not in ALLOWED:
            return False
    return True


@transition(M, ["AV-4"], on=[SignBitfield], witness=lambda m, s, a, t: isinstance(a, SignBitfield) and a.signer != a.validator)
def forged_bitfield_rejected(m, s, a, t):
    """A bitfield whose signature is not its validator's is rejected."""
    return not (isinstance(a, SignBitfield) and a.signer != a.validator and _accepted(t))


@transition(M, ["AV-3"], on=[SignBitfield], witness=lambda m, s, a, t: a.validator < s.signed)
def one_bitfield_per_validator_per_block(m, s, a, t):
    """A second bitfield from the same validator in one block (or one out of validator
    order) is rejected."""
    return not (a.validator < s.signed and _accepted(t))


@transition(M, ["AV-1", "AV-2"], on=[SignBitfield], witness=lambda m, s, a, t: isinstance(a, SignBitfield)
            and (a.length != m.config.n_parachains or not 0 <= a.validator < m.config.n_validators))
def malformed_bitfield_rejected(m, s, a, t):
    """A bitfield of the wrong length, or from an index outside the validator set, is rejected."""
    if not isinstance(a, SignBitfield):
        return True
    bad = a.length != m.config.n_parachains or not 0 <= a.validator < m.config.n_validators
    return not (bad and _accepted(t))


def _free_bit(m, s, a):
    return isinstance(a, SignBitfield) and any(
        (a.bits >> i) & 1 and p.status != S.TO_BE_DETERMINED for i, p in enumerate(s.paras))


@transition(M, ["AV-5", "AV-9"], on=[SignBitfield], witness=lambda m, s, a, t: _free_bit(m, s, a))
def free_core_bit_disregarded(m, s, a, t):
    """A bitfield with a 1 bit for a para without a candidate to be determined adds no vote
    (under ``free_core_bit=bit``, the sdk reading, it adds none to such a para; its other
    bits count)."""
    if not (_free_bit(m, s, a) and _accepted(t)):
        return True
    if m.params.free_core_bit == "bit":
        return all(p.votes == q.votes for p, q in zip(s.paras, t.paras) if p.status != S.TO_BE_DETERMINED)
    return all(p.votes == q.votes for p, q in zip(s.paras, t.paras))


def _counted(m, s, a):
    """A bitfield with some bit set, all of them for candidates to be determined (so it counts, AV-5)."""
    return isinstance(a, SignBitfield) and a.bits != 0 and all(
        not (a.bits >> i) & 1 or p.status == S.TO_BE_DETERMINED for i, p in enumerate(s.paras))


@transition(M, ["AV-9"], on=[SignBitfield], witness=lambda m, s, a, t: _accepted(t) and _counted(m, s, a))
def counted_bitfield_records_votes(m, s, a, t):
    """An accepted bitfield whose bits all name candidates to be determined adds its validator's
    vote to each of them (what a handler changes must be seen: issue 20)."""
    if not (_accepted(t) and _counted(m, s, a)):
        return True
    return all(not (a.bits >> i) & 1 or (q.votes >> a.validator) & 1 for i, q in enumerate(t.paras))


def _stays_pending(p, q) -> bool:
    return p.status == q.status == S.TO_BE_DETERMINED and p.noted == q.noted


@transition(M, ["AV-7"], on=[EndBlock], witness=lambda m, s, a, t: _accepted(t) and any(
    _stays_pending(p, q) for p, q in zip(s.paras, t.paras)))
def pending_candidate_ages_each_block(m, s, a, t):
    """A candidate still to be determined after a block end has had one more block of voting."""
    if not _accepted(t):
        return True
    return all(not _stays_pending(p, q) or q.age == p.age + 1 for p, q in zip(s.paras, t.paras))


# -- reachability witnesses ------------------------------------------------------------------


@sometimes(M, ["AV-6"])
def some_candidate_available(m, s):
    """Some candidate becomes available."""
    return any(p.status == S.AVAILABLE for p in s.paras)


@sometimes(M, ["AV-7"])
def some_candidate_unavailable(m, s):
    """Some candidate times out."""
    return any(p.status == S.UNAVAILABLE for p in s.paras)


@sometimes(M, ["AV-6", "AV-10"])
def both_paras_enacted_twice(m, s):
    """Every para has its bounded number of candidates enacted (the whole bound is usable)."""
    full = (1 << m.config.max_candidates) - 1
    return all(p.enacted == full for p in s.paras)


# -- mutants ------------------------------------------------------------------------------------


@mutant(M, "av_threshold_ge", kills=["available_only_above_two_thirds"], preset="trio")
class ThresholdGe(AvailabilityMachine):
    """``>=`` for ``>`` in the 2/3 rule: exactly 2/3 of the bits make a candidate available
    (distinguishable when 3 divides n, so checked on the ``trio`` preset)."""

    def is_available(self, votes):
        return 3 * votes.bit_count() >= 2 * self.config.n_validators


@mutant(M, "av_threshold_half", kills=["available_only_above_two_thirds"])
class ThresholdHalf(AvailabilityMachine):
    """Half of the validators' bits make a candidate available."""

    def is_available(self, votes):
        return 2 * votes.bit_count() >= self.config.n_validators


@mutant(M, "av_timeout_off_by_one", kills=["undetermined_within_timeout"])
class TimeoutOffByOne(AvailabilityMachine):
    """The timeout fires one block late (``>`` for ``>=``)."""

    def is_timed_out(self, age):
        return age > self.config.chain_availability_period


@mutant(M, "av_unavailable_still_counted", kills=["timed_out_never_enacted", "status_follows_table"])
class UnavailableStillCounted(AvailabilityMachine):
    """Bits keep counting for a candidate already declared unavailable, and it is kept
    (not discarded), so a late majority makes it available."""

    def counts_bit(self, p):
        return p.status in (Status.TO_BE_DETERMINED, Status.UNAVAILABLE)

    def process_end_block(self, state, a):
        revived = []
        for p in state.paras:
            if p.status == Status.UNAVAILABLE and self.is_available(p.votes):
                serial = 1 << (p.noted - 1)
                p = p.__class__(Status.AVAILABLE, p.votes, p.age, p.noted, p.enacted | serial, p.timed_out)
            elif p.status == Status.UNAVAILABLE:
                p = p.__class__(Status.TO_BE_DETERMINED, p.votes, p.age - 1, p.noted, p.enacted, p.timed_out)
            revived.append(p)
        return super().process_end_block(state.__class__(tuple(revived), state.signed), a)


@mutant(M, "av_no_signature_check", kills=["forged_bitfield_rejected"])
class NoSignatureCheck(AvailabilityMachine):
    """Signatures are not checked: a forged bitfield counts."""

    def check_bitfield(self, state, bf):
        super().check_bitfield(state, SignBitfield(bf.validator, bf.bits, bf.length, bf.validator))


@mutant(M, "av_duplicates_allowed", kills=["one_bitfield_per_validator_per_block"])
class DuplicatesAllowed(AvailabilityMachine):
    """The duplicate check is left out."""

    def check_bitfield(self, state, bf):
        super().check_bitfield(state.__class__(state.paras, 0), bf)

    def process_sign_bitfield(self, state, bf):
        nxt = super().process_sign_bitfield(state, bf)
        return nxt.__class__(nxt.paras, max(state.signed, nxt.signed))


@mutant(M, "av_no_length_check", kills=["malformed_bitfield_rejected"])
class NoLengthCheck(AvailabilityMachine):
    """The bitfield length is not checked."""

    def check_bitfield(self, state, bf):
        super().check_bitfield(state, SignBitfield(bf.validator, bf.bits, self.config.n_parachains, bf.signer))


@mutant(M, "av_free_bits_counted", kills=["free_core_bit_disregarded", "type_ok"])
class FreeBitsCounted(AvailabilityMachine):
    """A bitfield with a 1 bit for a free core is applied anyway (its other bits count)."""

    def counts_bit(self, p):
        return True


@mutant(M, "av_note_over_pending", kills=["status_follows_table"])
class NoteOverPending(AvailabilityMachine):
    """A new candidate receipt replaces one still to be determined."""

    def may_note(self, p):
        return p.status in (Status.NO_CANDIDATE, Status.TO_BE_DETERMINED)


# -- forgetful mutants: an effect left out (issue 20; each is caught by a vector case too) -------------


@mutant(M, "av_vote_not_recorded", kills=["counted_bitfield_records_votes"])
class VoteNotRecorded(AvailabilityMachine):
    """AV-6/AV-9: a counted bitfield is accepted (its validator is marked as signed) but its
    bits are never added to the candidates' votes, so nothing becomes available."""

    def process_sign_bitfield(self, state, bf):
        nxt = super().process_sign_bitfield(state, bf)
        return nxt.__class__(state.paras, nxt.signed)


@mutant(M, "av_age_not_advanced", kills=["pending_candidate_ages_each_block"])
class AgeNotAdvanced(AvailabilityMachine):
    """AV-7: the age of a candidate to be determined is not advanced at the end of a block,
    so the timeout never fires."""

    def process_end_block(self, state, a):
        nxt = super().process_end_block(state, a)
        paras = tuple(q.__class__(q.status, q.votes, p.age if q.noted == p.noted and q.status == p.status
                                  else q.age, q.noted, q.enacted, q.timed_out)
                      for p, q in zip(state.paras, nxt.paras))
        return nxt.__class__(paras, nxt.signed)
