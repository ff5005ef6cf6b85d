"""Properties and mutants of the ``availability`` machine (spec/availability.md)."""

from __future__ import annotations

from paraspec.model.availability import AvailabilityMachine, EndBlock, SignBitfield, Status
from paraspec.model.core import Rejected
from paraspec.model.logic import And, Not, Or, ite, max_, popcount
from paraspec.model.thresholds import is_more_than_two_thirds

from .core import always, mutant, sometimes, transition, vectorized

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


# Every predicate is field arithmetic with the helpers of ``model.logic`` (marked
# ``@vectorized``): it runs on one state and on a frontier of states held as numpy arrays, so
# both engines check the same text. A transition property also sees rejected inputs (``t`` is
# then a Rejected value, on either engine).


def _fold(s, f, stop, combine):
    """``combine`` of ``f`` over the paras; on one state, ``stop`` as soon as a para gives it."""
    out = []
    for i, p in enumerate(s.paras):
        v = f(i, p)
        if v is stop:
            return stop
        out.append(v)
    return combine(*out)


def _all(s, f):
    """``f`` holds for every para."""
    return _fold(s, f, False, And)


def _any(s, f):
    """``f`` holds for some para."""
    return _fold(s, f, True, Or)


def _pairs_all(s, t, f):
    return _all(s, lambda i, p: f(i, p, t.paras[i]))


def _pairs_any(s, t, f):
    return _any(s, lambda i, p: f(i, p, t.paras[i]))


def _bit(x, i):
    return (x >> i) & 1 == 1


# -- invariants ------------------------------------------------------------------------


@vectorized
def _some_votes(m, s):
    return _any(s, lambda i, p: p.votes != 0)


@always(M, ["AV-8", "AV-9"], witness=_some_votes)
@vectorized
def type_ok(m, s):
    """Votes name existing validators; only a live or decided candidate carries votes;
    ages stay within the timeout."""
    n = m.config.n_validators
    t = m.config.chain_availability_period
    return And(0 <= s.signed, s.signed <= n, _all(s, lambda i, p: And(
        0 <= p.votes, p.votes < (1 << n), 0 <= p.age, p.age <= t,
        Or(p.status != S.NO_CANDIDATE, p.votes == 0), 0 <= p.noted)))


@vectorized
def _some_available(m, s):
    return _any(s, lambda i, p: p.status == S.AVAILABLE)


@always(M, ["AV-6", "TH-2"], witness=_some_available)
@vectorized
def available_only_above_two_thirds(m, s):
    """A candidate is available only with more than 2/3 of the validators' bits."""
    n = m.config.n_validators
    return _all(s, lambda i, p: Or(p.status != S.AVAILABLE, is_more_than_two_thirds(popcount(p.votes), n)))


@vectorized
def _some_unavailable(m, s):
    return _any(s, lambda i, p: p.status == S.UNAVAILABLE)


@always(M, ["AV-7"], witness=_some_unavailable)
@vectorized
def undetermined_within_timeout(m, s):
    """A candidate stays "to be determined" for fewer than t blocks of voting."""
    t = m.config.chain_availability_period
    return _all(s, lambda i, p: Or(p.status != S.TO_BE_DETERMINED, p.age < t))


@vectorized
def _some_timed_out(m, s):
    return _any(s, lambda i, p: p.timed_out != 0)


@always(M, ["AV-7", "AV-8"], witness=_some_timed_out)
@vectorized
def timed_out_never_enacted(m, s):
    """No candidate is both declared unavailable (timed out) and acted on as available."""
    return _all(s, lambda i, p: p.enacted & p.timed_out == 0)


# -- transition properties ---------------------------------------------------------------


#: ALLOWED as two bitmasks over ``4 * old status + new status``: the moves of one candidate
#: (same) and those that note a new one (new), so a move is looked up by shifts, on ints and arrays
_SAME = sum(1 << (4 * a + b) for a, b, kind in ALLOWED if kind == "same")
_NEW = sum(1 << (4 * a + b) for a, b, kind in ALLOWED if kind == "new")


def _allowed(p, q):
    """AV-8: the move of one para's status is in the seed's table."""
    return (ite(q.noted != p.noted, _NEW, _SAME) >> (4 * p.status + q.status)) & 1 == 1


@vectorized
def _status_moves(m, s, a, t):
    return _accepted(t) and _pairs_any(s, t, lambda i, p, q: p.status != q.status)


@transition(M, ["AV-8", "AV-10"], on=[EndBlock], witness=_status_moves)
@vectorized
def status_follows_table(m, s, a, t):
    """Block to block, each para's status moves only along the seed's table, and a new
    candidate is noted only for a para without one."""
    if not isinstance(a, EndBlock) or not _accepted(t):
        return True
    return _pairs_all(s, t, lambda i, p, q: _allowed(p, q))


@vectorized
def _forged(m, s, a, t):
    return isinstance(a, SignBitfield) and a.signer != a.validator


@transition(M, ["AV-4"], on=[SignBitfield], witness=_forged)
@vectorized
def forged_bitfield_rejected(m, s, a, t):
    """A bitfield whose signature is not its validator's is rejected."""
    return not (isinstance(a, SignBitfield) and a.signer != a.validator and _accepted(t))


@vectorized
def _repeated(m, s, a, t):
    return a.validator < s.signed


@transition(M, ["AV-3"], on=[SignBitfield], witness=_repeated)
@vectorized
def one_bitfield_per_validator_per_block(m, s, a, t):
    """A second bitfield from the same validator in one block (or one out of validator
    order) is rejected."""
    return Not(And(a.validator < s.signed, _accepted(t)))


def _malformed(m, a) -> bool:
    return isinstance(a, SignBitfield) and (
        a.length != m.config.n_parachains or not 0 <= a.validator < m.config.n_validators)


@vectorized
def _malformed_witness(m, s, a, t):
    return _malformed(m, a)


@transition(M, ["AV-1", "AV-2"], on=[SignBitfield], witness=_malformed_witness)
@vectorized
def malformed_bitfield_rejected(m, s, a, t):
    """A bitfield of the wrong length, or from an index outside the validator set, is rejected."""
    return not (_malformed(m, a) and _accepted(t))


def _free_bit(m, s, a):
    if not isinstance(a, SignBitfield):
        return False
    return _any(s, lambda i, p: And(_bit(a.bits, i), p.status != S.TO_BE_DETERMINED))


@vectorized
def _free_bit_witness(m, s, a, t):
    return _free_bit(m, s, a)


@transition(M, ["AV-5", "AV-9"], on=[SignBitfield], witness=_free_bit_witness)
@vectorized
def free_core_bit_disregarded(m, s, a, t):
    """A bitfield with a 1 bit for a para without a candidate to be determined adds no vote
    (under ``free_core_bit=bit``, the sdk reading, it adds none to such a para; its other
    bits count)."""
    if not _accepted(t):
        return True
    if m.params.free_core_bit == "bit":
        same = _pairs_all(s, t, lambda i, p, q: Or(p.status == S.TO_BE_DETERMINED, p.votes == q.votes))
    else:
        same = _pairs_all(s, t, lambda i, p, q: p.votes == q.votes)
    return Or(Not(_free_bit(m, s, a)), same)


def _counted(m, s, a):
    """A bitfield with some bit set, all of them for candidates to be determined (so it counts, AV-5)."""
    if not (isinstance(a, SignBitfield) and a.bits != 0):
        return False
    return _all(s, lambda i, p: Or(Not(_bit(a.bits, i)), p.status == S.TO_BE_DETERMINED))


@vectorized
def _counted_witness(m, s, a, t):
    return _accepted(t) and _counted(m, s, a)


@transition(M, ["AV-9"], on=[SignBitfield], witness=_counted_witness)
@vectorized
def counted_bitfield_records_votes(m, s, a, t):
    """An accepted bitfield whose bits all name candidates to be determined adds its validator's
    vote to each of them (what a handler changes must be seen: issue 20)."""
    if not _accepted(t):
        return True
    return Or(Not(_counted(m, s, a)),
              And(*[Or(Not(_bit(a.bits, i)), _bit(q.votes, a.validator)) for i, q in enumerate(t.paras)]))


def _stays_pending(p, q):
    return And(p.status == S.TO_BE_DETERMINED, q.status == S.TO_BE_DETERMINED, p.noted == q.noted)


@vectorized
def _some_stays_pending(m, s, a, t):
    return _accepted(t) and _pairs_any(s, t, lambda i, p, q: _stays_pending(p, q))


@transition(M, ["AV-7"], on=[EndBlock], witness=_some_stays_pending)
@vectorized
def pending_candidate_ages_each_block(m, s, a, t):
    """A candidate still to be determined after a block end has had one more block of voting."""
    if not _accepted(t):
        return True
    return _pairs_all(s, t, lambda i, p, q: Or(Not(_stays_pending(p, q)), q.age == p.age + 1))


# -- reachability witnesses ------------------------------------------------------------------


@sometimes(M, ["AV-6"])
@vectorized
def some_candidate_available(m, s):
    """Some candidate becomes available."""
    return _any(s, lambda i, p: p.status == S.AVAILABLE)


@sometimes(M, ["AV-7"])
@vectorized
def some_candidate_unavailable(m, s):
    """Some candidate times out."""
    return _any(s, lambda i, p: p.status == S.UNAVAILABLE)


@sometimes(M, ["AV-6", "AV-10"])
@vectorized
def both_paras_enacted_twice(m, s):
    """Every para has its bounded number of candidates enacted (the whole bound is usable)."""
    full = (1 << m.config.max_candidates) - 1
    return _all(s, lambda i, p: p.enacted == full)


# -- mutants ------------------------------------------------------------------------------------


@mutant(M, "av_threshold_ge", kills=["available_only_above_two_thirds"], preset="trio")
class ThresholdGe(AvailabilityMachine):
    """``>=`` for ``>`` in the 2/3 rule: exactly 2/3 of the bits make a candidate available
    (distinguishable when 3 divides n, so checked on the ``trio`` preset)."""

    def is_available(self, votes):
        return 3 * popcount(votes) >= 2 * self.config.n_validators


@mutant(M, "av_threshold_half", kills=["available_only_above_two_thirds"])
class ThresholdHalf(AvailabilityMachine):
    """Half of the validators' bits make a candidate available."""

    def is_available(self, votes):
        return 2 * popcount(votes) >= self.config.n_validators


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
        return Or(p.status == Status.TO_BE_DETERMINED, p.status == Status.UNAVAILABLE)

    def decide(self, p):
        unav = p.status == Status.UNAVAILABLE
        back = And(unav, self.is_available(p.votes))
        serial = 1 << max_(p.noted - 1, 0)
        p = p.__class__(ite(back, Status.AVAILABLE, ite(unav, Status.TO_BE_DETERMINED, p.status)), p.votes,
                        ite(And(unav, Not(back)), p.age - 1, p.age), p.noted,
                        ite(back, p.enacted | serial, p.enacted), p.timed_out)
        return super().decide(p)


@mutant(M, "av_no_signature_check", kills=["forged_bitfield_rejected"])
class NoSignatureCheck(AvailabilityMachine):
    """Signatures are not checked: a forged bitfield counts."""

    def bitfield_guards(self, state, bf):
        return super().bitfield_guards(state, SignBitfield(bf.validator, bf.bits, bf.length, bf.validator))


@mutant(M, "av_duplicates_allowed", kills=["one_bitfield_per_validator_per_block"])
class DuplicatesAllowed(AvailabilityMachine):
    """The duplicate check is left out."""

    def bitfield_guards(self, state, bf):
        return super().bitfield_guards(state.__class__(state.paras, 0), bf)

    def process_sign_bitfield(self, state, bf):
        nxt = super().process_sign_bitfield(state, bf)
        return nxt.__class__(nxt.paras, max_(state.signed, nxt.signed))


@mutant(M, "av_no_length_check", kills=["malformed_bitfield_rejected"])
class NoLengthCheck(AvailabilityMachine):
    """The bitfield length is not checked."""

    def bitfield_guards(self, state, bf):
        return super().bitfield_guards(state, SignBitfield(bf.validator, bf.bits, self.config.n_parachains,
                                                           bf.signer))


@mutant(M, "av_free_bits_counted", kills=["free_core_bit_disregarded", "type_ok"])
class FreeBitsCounted(AvailabilityMachine):
    """A bitfield with a 1 bit for a free core is applied anyway (its other bits count)."""

    def counts_bit(self, p):
        return True


@mutant(M, "av_note_over_pending", kills=["status_follows_table"])
class NoteOverPending(AvailabilityMachine):
    """A new candidate receipt replaces one still to be determined."""

    def may_note(self, p):
        return Or(p.status == Status.NO_CANDIDATE, p.status == Status.TO_BE_DETERMINED)


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
        paras = tuple(q.__class__(q.status, q.votes, ite(And(q.noted == p.noted, q.status == p.status), p.age, q.age),
                                  q.noted, q.enacted, q.timed_out)
                      for p, q in zip(state.paras, nxt.paras))
        return nxt.__class__(paras, nxt.signed)
