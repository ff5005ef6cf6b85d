"""Properties and mutants of the ``backing`` machine (spec/backing.md)."""

from __future__ import annotations

import attrs

from paraspec.model.backing import BackingMachine, Kind, Second, Statement, StopWork, Validate, statement_bit
from paraspec.model.core import Rejected
from paraspec.model.thresholds import backing_votes_needed, is_backable

from .core import always, mutant, sometimes, transition

M = "backing"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


def _sets(m, stmts):
    """(seconded, valid, invalid) candidate bitmasks of one validator's statements."""
    c = m.params.n_candidates
    mask = (1 << c) - 1
    return stmts & mask, (stmts >> c) & mask, (stmts >> 2 * c) & mask


def _honest(m):
    return [v for v in range(m.params.group_size) if m.params.is_honest(v)]


def _double_voters(m, s) -> int:
    """Validators whose statements hold a double vote, restated from [IG §2.6.3]."""
    out = 0
    for v, st in enumerate(s.statements):
        sec, val, inv = _sets(m, st)
        if sec.bit_count() >= 2 or sec & val or (sec | val) & inv:
            out |= 1 << v
    return out


def _support(m, s, c) -> int:
    return sum(1 for st in s.statements if (_sets(m, st)[0] | _sets(m, st)[1]) >> c & 1)


def _objections(m, s, c) -> int:
    return sum(1 for st in s.statements if _sets(m, st)[2] >> c & 1)


# -- invariants -------------------------------------------------------------------------------------


@always(M, ["BCK-1"], witness=lambda m, s: any(s.statements))
def type_ok(m, s):
    """Statements are recorded only for the group's validators and the candidates put
    forward; reports, disputes and backability name existing validators and candidates."""
    p = m.params
    full = 1 << (3 * p.n_candidates)
    cands = 1 << p.n_candidates
    return (len(s.statements) == p.group_size and all(0 <= st < full for st in s.statements)
            and 0 <= s.reported < (1 << p.group_size) and 0 <= s.disputed < cands and 0 <= s.backable < cands)


@always(M, ["BCK-2"], witness=lambda m, s: any(_sets(m, s.statements[v])[0] for v in _honest(m)))
def honest_seconds_at_most_one(m, s):
    """An honest validator seconds at most one candidate for the relay parent."""
    return all(_sets(m, s.statements[v])[0].bit_count() <= 1 for v in _honest(m))


@always(M, ["BCK-4", "BCK-5"], witness=lambda m, s: any(s.statements[v] for v in _honest(m)))
def honest_statements_truthful(m, s):
    """An honest validator states validity only of valid candidates, invalidity only of
    invalid ones, and never both ``Seconded`` and ``Valid`` for one candidate."""
    for v in _honest(m):
        sec, val, inv = _sets(m, s.statements[v])
        if (sec | val) & ~s.truth or inv & s.truth or sec & val:
            return False
    return True


@always(M, ["BCK-6"], witness=lambda m, s: s.reported != 0)
def double_votes_reported(m, s):
    """Exactly the validators whose imported statements hold a double vote are reported."""
    return s.reported == _double_voters(m, s)


@always(M, ["BCK-2", "BCK-3", "BCK-6"], witness=lambda m, s: any(
    _sets(m, s.statements[v])[0] and _sets(m, s.statements[v])[1] for v in _honest(m)))
def honest_never_reported(m, s):
    """No honest validator is reported for misbehaviour, even one that seconded a candidate
    and signed ``Valid`` for another."""
    return all(not (s.reported >> v) & 1 for v in _honest(m))


@always(M, ["BCK-7"], witness=lambda m, s: s.backable != 0)
def backable_iff_threshold(m, s):
    """A candidate is backable exactly when its distinct validity statements reach the
    backing threshold of the selected reading; invalidity statements are no veto."""
    p = m.params
    for c in range(p.n_candidates):
        want = is_backable(_support(m, s, c), p.group_size, p.backing_threshold, p.minimum_backing_votes)
        if bool((s.backable >> c) & 1) != bool(want):
            return False
    return True


@always(M, ["BCK-4", "BCK-7"], witness=lambda m, s: s.backable & ~s.truth != 0 or s.backable != 0)
def invalid_backable_only_by_byzantine_quorum(m, s):
    """An invalid candidate is backable only if the group's byzantine validators alone
    reach the backing threshold."""
    p = m.params
    needed = backing_votes_needed(p.group_size, p.backing_threshold, p.minimum_backing_votes)
    return s.backable & ~s.truth == 0 or p.byzantine >= needed


@always(M, ["BCK-8"], witness=lambda m, s: s.disputed != 0)
def disagreement_raises_dispute(m, s):
    """A candidate with both a validity and an invalidity statement is sent to the
    dispute path, and no other is."""
    return all(bool((s.disputed >> c) & 1) == (_support(m, s, c) > 0 and _objections(m, s, c) > 0)
               for c in range(m.params.n_candidates))


# -- transition properties ----------------------------------------------------------------------------


def _valid_before_second(m, s, a):
    return isinstance(a, Second) and s.statements[a.validator] & statement_bit(Kind.VALID, a.candidate,
                                                                                 m.params.n_candidates)


@transition(M, ["BCK-3"], on=[Second], witness=lambda m, s, a, t: bool(_valid_before_second(m, s, a)))
def never_second_after_valid(m, s, a, t):
    """An honest validator never seconds a candidate it already signed ``Valid`` for."""
    return not (_valid_before_second(m, s, a) and _accepted(t))


def _unknown_candidate(m, s, a):
    return (isinstance(a, Statement) and a.kind != Kind.SECONDED and a.signer == a.validator
            and not any(_sets(m, st)[0] >> a.candidate & 1 for st in s.statements))


@transition(M, ["BCK-9"], on=[Statement, Validate],
            witness=lambda m, s, a, t: bool(_unknown_candidate(m, s, a)) and s.live)
def statements_only_on_seconded_candidates(m, s, a, t):
    """``Valid`` and ``Invalid`` statements are imported only for a candidate someone seconded."""
    if not _accepted(t) or isinstance(a, StopWork):
        return True
    seconded_before = any(_sets(m, st)[0] >> a.candidate & 1 for st in s.statements)
    kind = a.kind if isinstance(a, Statement) else None
    return kind == Kind.SECONDED or seconded_before


@transition(M, ["BCK-1"], on=[Statement], witness=lambda m, s, a, t: a.signer != a.validator
            or a.validator >= m.params.group_size)
def forged_or_outsider_statement_rejected(m, s, a, t):
    """A statement not signed by its validator, or from outside the group, is rejected."""
    bad = a.signer != a.validator or not 0 <= a.validator < m.params.group_size
    return not (bad and _accepted(t))


@transition(M, ["BCK-10"], on=[Second, Validate, Statement], witness=lambda m, s, a, t: not s.live)
def no_import_after_stop_work(m, s, a, t):
    """Once the job received ``StopWork``, no statement for its relay parent is imported."""
    return s.live or not _accepted(t)


# -- reachability witnesses -------------------------------------------------------------------------------


@sometimes(M, ["BCK-7"])
def two_candidates_backable(m, s):
    """Both candidates become backable (seconded by different validators)."""
    return s.backable == (1 << m.params.n_candidates) - 1


@sometimes(M, ["BCK-6"])
def byzantine_double_seconding_reported(m, s):
    """A byzantine validator that seconds two candidates is reported."""
    byz = m.params.group_size - 1
    return (s.reported >> byz) & 1 and _sets(m, s.statements[byz])[0].bit_count() == 2


@sometimes(M, ["BCK-7", "BCK-8"])
def backable_despite_invalidity_statement(m, s):
    """A candidate is backable and disputed at once: a negative statement is not a veto."""
    return s.backable & s.disputed != 0


# -- mutants ------------------------------------------------------------------------------------------------


@mutant(M, "bck_second_twice", kills=["honest_seconds_at_most_one", "honest_never_reported"])
class SecondTwice(BackingMachine):
    """The node seconds a second candidate for the same relay parent."""

    def may_second(self, stmts, candidate):
        return not stmts & self.get_bit(Kind.VALID, candidate)


@mutant(M, "bck_second_after_valid", kills=["never_second_after_valid"])
class SecondAfterValid(BackingMachine):
    """The node seconds a candidate it already signed ``Valid`` for."""

    def may_second(self, stmts, candidate):
        others = self.get_seconded(stmts) & ~(1 << candidate)
        return others == 0


@mutant(M, "bck_rubber_stamp", kills=["honest_statements_truthful", "invalid_backable_only_by_byzantine_quorum"])
class RubberStamp(BackingMachine):
    """Honest validators sign ``Valid`` without validating."""

    def compute_validation(self, s, candidate):
        return Kind.VALID


@mutant(M, "bck_miss_issued_and_valid", kills=["double_votes_reported"])
class MissIssuedAndValid(BackingMachine):
    """Double-vote detection misses ``Seconded`` + ``Valid`` on one candidate."""

    def is_double_vote(self, stmts):
        c = self.params.n_candidates
        mask = (1 << c) - 1
        sec, val, inv = stmts & mask, (stmts >> c) & mask, (stmts >> 2 * c) & mask
        return sec.bit_count() > 1 or ((sec | val) & inv) != 0


@mutant(M, "bck_report_cross_candidate", kills=["double_votes_reported", "honest_never_reported"])
class ReportCrossCandidate(BackingMachine):
    """Seconding one candidate and signing ``Valid`` for another is reported as a double vote."""

    def is_double_vote(self, stmts):
        c = self.params.n_candidates
        mask = (1 << c) - 1
        sec, val = stmts & mask, (stmts >> c) & mask
        return super().is_double_vote(stmts) or (sec != 0 and val != 0)


@mutant(M, "bck_invalid_counts_as_support", kills=["backable_iff_threshold"])
class InvalidCountsAsSupport(BackingMachine):
    """``Invalid`` statements are counted towards backing."""

    def get_supporters(self, s, candidate):
        return super().get_supporters(s, candidate) | self.get_objectors(s, candidate)


@mutant(M, "bck_invalid_vetoes", kills=["backable_iff_threshold"])
class InvalidVetoes(BackingMachine):
    """An ``Invalid`` statement vetoes backing (the seed: negative statements are no veto)."""

    def process_statement(self, s, st):
        t = super().process_statement(s, st)
        return attrs.evolve(t, backable=t.backable & ~t.disputed)


@mutant(M, "bck_two_thirds_strict", kills=["backable_iff_threshold"], overrides={"backing_threshold": "two_thirds"})
class TwoThirdsStrict(BackingMachine):
    """The 2/3 reading of Definition 7 read as strictly more than 2/3 of the group."""

    def is_backable(self, supporters):
        return 3 * supporters.bit_count() > 2 * self.params.group_size


@mutant(M, "bck_no_dispute", kills=["disagreement_raises_dispute"])
class NoDispute(BackingMachine):
    """A primary-validation disagreement is not sent to the dispute path."""

    def is_disagreement(self, supporters, objectors):
        return False


@mutant(M, "bck_unknown_candidate_imported", kills=["statements_only_on_seconded_candidates"])
class UnknownCandidateImported(BackingMachine):
    """``Valid``/``Invalid`` statements for a candidate nobody seconded are imported."""

    def is_known(self, s, kind, candidate):
        return True


@mutant(M, "bck_no_signature_check", kills=["forged_or_outsider_statement_rejected"])
class NoSignatureCheck(BackingMachine):
    """Statements are imported without checking signer and group membership."""

    def check_signature(self, st):
        pass

    def process_statement(self, s, st):
        if not 0 <= st.validator < self.params.group_size:
            return s  # dropped silently, but accepted
        return super().process_statement(s, st)


@mutant(M, "bck_job_outlives_stop", kills=["no_import_after_stop_work"])
class JobOutlivesStop(BackingMachine):
    """Statements keep being imported after ``StopWork``."""

    def accepts_statements(self, s):
        return True


@mutant(M, "bck_report_wrong_validator", kills=["double_votes_reported", "type_ok"])
class ReportWrongValidator(BackingMachine):
    """The misbehaviour report names the next validator index instead of the double voter."""

    def compute_report(self, validator):
        return 1 << (validator + 1)
