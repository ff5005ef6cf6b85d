"""Properties and mutants of the ``disputes`` machine (spec/disputes.md)."""

from __future__ import annotations

import attrs

from paraspec.model.core import Rejected
from paraspec.model.readings import is_sdk
from paraspec.model.disputes import (
    FORK_BLOCKS,
    PARENT,
    Block,
    Build,
    DisputesMachine,
    Finalize,
    Kind,
    Phase,
    Record,
    Rollup,
    Tick,
    Vote,
)
from paraspec.model.escalation import INVALID_OUTCOMES
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

M = "disputes"
FORKS = (0, 1)


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


def _n(m) -> int:
    return m.params.n_validators


def _honest(m, s) -> int:
    everyone = (1 << _n(m)) - 1
    return everyone & ~(1 << m.params.byzantine) if s.byzantine else everyone


def _inclusion(s, fork):
    """X's inclusion block on a fork, restated: A1 once built; B1 when it was built with X."""
    if fork == 0:
        return Block.A1 if (s.built >> Block.A1) & 1 else None
    return Block.B1 if s.x_on_b else None


def _chain(b: Block) -> set:
    out = {b}
    while b != Block.G:
        b = PARENT[b]
        out.add(b)
    return out


def _descendants(b: Block) -> set:
    return {c for c in Block if b in _chain(c)}


def _fork_of(b: Block):
    for f, blocks in enumerate(FORK_BLOCKS):
        if b in blocks:
            return f
    return None


def _expected_outcome(m, r) -> int:
    n = _n(m)
    f_, a_ = r.votes_for.bit_count(), r.votes_against.bit_count()
    if m.params.dispute_rule == "seed":
        if not is_more_than_two_thirds((r.votes_for | r.votes_against).bit_count(), n):
            return OUTCOME_NONE
        v, i = is_more_than_one_third(f_, n), is_more_than_one_third(a_, n)
        return {(True, False): OUTCOME_VALID, (False, True): OUTCOME_INVALID,
                (True, True): OUTCOME_INVALID_NO_SLASH}.get((v, i), OUTCOME_NONE)
    v, i = is_supermajority(f_, n), is_supermajority(a_, n)
    return {(True, False): OUTCOME_VALID, (False, True): OUTCOME_INVALID,
            (True, True): OUTCOME_BOTH}.get((v, i), OUTCOME_NONE)


def _has_outcome(r) -> bool:
    return r.outcome != OUTCOME_NONE


def _live(m, s, fork) -> bool:
    first = FORK_BLOCKS[fork][0]
    return bool((s.built >> first) & 1) and not (s.reverted >> first) & 1


def _approved(m, r) -> bool:
    if r.phase == Phase.NONE:
        return r.votes_against == 0 and r.votes_for.bit_count() > byzantine_threshold(_n(m))
    return r.phase in (Phase.CONCLUDED, Phase.CLOSED) and r.outcome == OUTCOME_VALID


# -- invariants -------------------------------------------------------------------------------------------


@always(M, ["DSP-2", "DSP-5", "DSP-12"], witness=lambda m, s: any(r.phase != Phase.NONE for r in s.records))
def type_ok(m, s):
    """Records are well formed: disputes have a kind, remote ones only where X is not
    included, outcomes only on decided records; honest validators vote only the truth;
    the finalized block is built and not reverted; reverted blocks were built."""
    honest = _honest(m, s)
    for fork, r in enumerate(s.records):
        wrong = r.votes_against if s.truth_valid else r.votes_for
        if wrong & honest:
            return False
        if (r.phase == Phase.NONE) != (r.kind == Kind.NONE):
            return False
        if r.kind == Kind.REMOTE and _inclusion(s, fork) is not None:
            return False
        if r.phase == Phase.CONCLUDED and not _has_outcome(r):
            return False
        if r.phase in (Phase.NONE, Phase.AVAILABILITY, Phase.OPEN) and _has_outcome(r):
            return False
    return ((s.built >> s.finalized) & 1 == 1 and not (s.reverted >> s.finalized) & 1
            and s.reverted & ~s.built == 0)


@always(M, ["DSP-7", "DSP-10", "SLS-4"], witness=lambda m, s: any(r.outcome in INVALID_OUTCOMES for r in s.records))
def concluded_invalid_never_finalized(m, s):
    """A candidate concluded invalid on any fork is never finalized, nor any of its
    descendants (relay blocks after its inclusion, with Y), on any fork."""
    if not any(r.outcome in INVALID_OUTCOMES for r in s.records):
        return True
    chain = _chain(s.finalized)
    return all(inc is None or inc not in chain for inc in (_inclusion(s, 0), _inclusion(s, 1)))


@always(M, ["DSP-10", "DSP-12"], witness=lambda m, s: not s.truth_valid and s.finalized != Block.G)
def invalid_candidate_never_finalized(m, s):
    """With at most f byzantine validators, an invalid X is never finalized on any fork."""
    if s.truth_valid:
        return True
    chain = _chain(s.finalized)
    return all(inc is None or inc not in chain for inc in (_inclusion(s, 0), _inclusion(s, 1)))


@always(M, ["SLS-1", "SLS-2", "SLS-3", "DSP-3", "DSP-12"],
        witness=lambda m, s: any(r.slashed | r.fee for r in s.records))
def nobody_honest_slashed(m, s):
    """With at most f byzantine validators, no honest validator is slashed, charged a
    distraction fee or penalized as a non-voter, on any fork."""
    honest = _honest(m, s)
    return all(not (r.slashed | r.fee | r.penalized) & honest for r in s.records)


@always(M, ["DSP-2"], witness=lambda m, s: any(r.kind == Kind.REMOTE and _has_outcome(r) for r in s.records))
def remote_dispute_passes_availability(m, s):
    """An unconcluded remote dispute is voted on only after more than 2/3 of the validators
    attested that they hold their piece of X."""
    for r in s.records:
        voted = r.phase in (Phase.OPEN, Phase.CONCLUDED) or (r.phase == Phase.CLOSED and _has_outcome(r))
        if r.kind == Kind.REMOTE and voted and not is_more_than_two_thirds(r.avail.bit_count(), _n(m)):
            return False
    return True


@always(M, ["DSP-3"], witness=lambda m, s: any(r.kind == Kind.REMOTE and r.phase == Phase.CLOSED
                                              and not _has_outcome(r) for r in s.records))
def unavailable_remote_dispute_slashes_disputers(m, s):
    """A remote dispute whose candidate never becomes available closes slashing the
    disputing validators; the validity-voters pay the distraction fee (seed reading)."""
    for r in s.records:
        if r.kind == Kind.REMOTE and r.phase == Phase.CLOSED and not _has_outcome(r):
            fee = r.votes_for if m.params.dispute_rule == "seed" else 0
            if r.slashed != r.votes_against or r.fee != fee or r.penalized:
                return False
    return True


@always(M, ["DSP-5"], witness=lambda m, s: any(_has_outcome(r) for r in s.records))
def outcome_follows_rule(m, s):
    """Every record's outcome is the one the selected reading gives for its votes."""
    return all(not _has_outcome(r) or r.outcome == _expected_outcome(m, r) for r in s.records)


def _found_invalid(m, r) -> bool:
    """X is found invalid by record ``r``: its window closed with an invalid outcome, or under
    ``reading=sdk`` (DSP-13) it concluded invalid (under sdk an invalid outcome stays invalid)."""
    decided = r.phase == Phase.CLOSED or (is_sdk(m.params) and r.phase == Phase.CONCLUDED)
    return decided and r.outcome in INVALID_OUTCOMES


def _reverts(m, r) -> bool:
    """Record ``r``, on a fork that includes X, reverts that fork: its window closed with an
    invalid outcome, or under ``reading=sdk`` (DSP-13) more than f validators voted against X
    on it (sdk freezes on ``AGAINST_BYZANTINE``; in the model X's inclusion precedes every
    statement on its fork, so ``note_included``'s supermajority case never arises)."""
    if is_sdk(m.params):
        return r.votes_against.bit_count() > byzantine_threshold(_n(m))
    return _found_invalid(m, r)


@always(M, ["DSP-7", "DSP-13"], witness=lambda m, s: s.reverted != 0)
def revert_to_last_ancestor_before_inclusion(m, s):
    """When X is found invalid on a fork that includes it (under ``reading=sdk``: more than f
    vote against it there), the fork reverts to the last ancestor before the inclusion: the
    inclusion block and its descendants are abandoned, nothing else is."""
    expected = 0
    for fork, r in enumerate(s.records):
        inc = _inclusion(s, fork)
        if inc is not None and _reverts(m, r):
            expected |= sum(1 << b for b in _descendants(inc))
    return s.reverted == expected & s.built


@always(M, ["DSP-8", "DSP-13"], witness=lambda m, s: s.blacklisted)
def blacklist_follows_invalid_outcome(m, s):
    """X is blacklisted exactly when a record closed with an invalid outcome (under
    ``reading=sdk``: concluded invalid, DSP-13)."""
    return s.blacklisted == any(_found_invalid(m, r) for r in s.records)


@always(M, ["SLS-1", "SLS-4"], witness=lambda m, s: any(r.phase == Phase.CLOSED and r.outcome == OUTCOME_INVALID
                                                        for r in s.records))
def only_the_backers_of_the_invalid_block_slashed(m, s):
    """When X is found invalid, its backers are slashed, but not the backers of its
    descendant Y (unless they voted for X themselves)."""
    x_backers = 1 if s.truth_valid else 1 << m.params.byzantine
    y_backers = 1 << 1
    for r in s.records:
        if r.phase == Phase.CLOSED and r.outcome == OUTCOME_INVALID:
            if r.slashed & x_backers != x_backers:
                return False
            if r.slashed & y_backers & ~r.votes_for:
                return False
    return True


# -- transition properties --------------------------------------------------------------------------------------


def _starts_local(s, a, t):
    return (isinstance(a, Vote) and _accepted(t) and s.records[a.fork].phase == Phase.NONE
            and t.records[a.fork].phase != Phase.NONE)


@transition(M, ["DSP-1"], on=[Vote], witness=lambda m, s, a, t: s.records[a.fork].phase == Phase.NONE
            and a.side == 2 and s.incl_age[a.fork] >= m.params.acceptance_period)
def local_dispute_only_in_acceptance_period(m, s, a, t):
    """A local dispute starts only on a fork that includes X, within X's acceptance period."""
    if not _starts_local(s, a, t):
        return True
    return _inclusion(s, a.fork) is not None and 0 <= s.incl_age[a.fork] < m.params.acceptance_period


@transition(M, ["DSP-4"], on=[Rollup], witness=lambda m, s, a, t: _accepted(t))
def rollup_concludes_at_once(m, s, a, t):
    """A concluded dispute rolled up onto another fork concludes there in the same
    transaction, with every statement of the source."""
    if not _accepted(t):
        return True
    r, src = t.records[a.fork], s.records[a.source]
    return (_has_outcome(r) and r.kind == Kind.ROLLUP and src.votes_for & ~r.votes_for == 0
            and src.votes_against & ~r.votes_against == 0)


@transition(M, ["DSP-6"], on=[Tick], witness=lambda m, s, a, t: _accepted(t) and any(
    s.records[f].phase == Phase.CONCLUDED and t.records[f].phase == Phase.CLOSED for f in FORKS))
def window_kept_open_after_conclusion(m, s, a, t):
    """A concluded record closes only after its window for late votes."""
    if not _accepted(t):
        return True
    return all(not (s.records[f].phase == Phase.CONCLUDED and t.records[f].phase == Phase.CLOSED)
               or t.records[f].age > m.params.window for f in FORKS)


@transition(M, ["DSP-11", "SLS-1"], on=[Tick], witness=lambda m, s, a, t: _accepted(t) and any(
    s.records[f].phase != Phase.CLOSED and t.records[f].phase == Phase.CLOSED and _has_outcome(t.records[f])
    and s.records[1 - f].phase != Phase.NONE for f in FORKS))
def evidence_reaches_every_fork(m, s, a, t):
    """Before a record closes with an outcome, the dispute has been transplanted to every
    live fork, the record holds every statement known on any fork, and it slashes
    everyone already slashed on a fork that closed before."""
    if not _accepted(t):
        return True
    for f in FORKS:
        before, after = s.records[f], t.records[f]
        if before.phase == Phase.CLOSED or after.phase != Phase.CLOSED or not _has_outcome(after):
            continue
        g = 1 - f
        other = s.records[g]
        if _live(m, s, g) and not _has_outcome(other):
            return False
        if other.votes_for & ~after.votes_for or other.votes_against & ~after.votes_against:
            return False
        if other.phase == Phase.CLOSED and _has_outcome(other) and other.slashed & ~after.slashed:
            return False
    return True


@transition(M, ["DSP-8"], on=[Build], witness=lambda m, s, a, t: s.blacklisted and a.with_x)
def blacklisted_candidate_never_included(m, s, a, t):
    """A blacklisted candidate is never included again, on any fork."""
    return not (s.blacklisted and _accepted(t) and (a.with_x or a.block == Block.A1))


@transition(M, ["DSP-7"], on=[Build], witness=lambda m, s, a, t: bool((s.reverted >> PARENT[a.block]) & 1)
            or any(r.outcome in INVALID_OUTCOMES for r in s.records))
def never_build_on_abandoned_chain(m, s, a, t):
    """Nobody builds on an abandoned block, nor on a chain whose X was found invalid."""
    if not _accepted(t):
        return True
    parent = PARENT[a.block]
    if (s.reverted >> parent) & 1:
        return False
    fork = _fork_of(parent)
    if fork is None:
        return True
    inc = _inclusion(s, fork)
    return not (inc is not None and inc in _chain(parent) and s.records[fork].outcome in INVALID_OUTCOMES)


@transition(M, ["DSP-10"], on=[Finalize], witness=lambda m, s, a, t: any(
    r.phase in (Phase.OPEN, Phase.CONCLUDED, Phase.AVAILABILITY) for r in s.records))
def finality_waits_for_approval(m, s, a, t):
    """GRANDPA finalizes a block only if every candidate executed on its chain is approved
    (more than f validity votes and no dispute) or concluded valid."""
    if not _accepted(t):
        return True
    fork = _fork_of(a.block)
    inc = _inclusion(s, fork)
    if inc is None or inc not in _chain(a.block):
        return True
    return _approved(m, s.records[fork])


# -- reachability witnesses ----------------------------------------------------------------------------------------


@sometimes(M, ["DSP-7", "DSP-11"])
def fork_reverted_and_evidence_rolled_up(m, s):
    """Fork A reverted after X was found invalid, and the dispute concluded on fork B too."""
    return (s.reverted >> Block.A1) & 1 and s.records[1].kind == Kind.ROLLUP and s.records[1].phase == Phase.CLOSED


@sometimes(M, ["DSP-2", "DSP-5"])
def remote_dispute_concludes(m, s):
    """An unconcluded remote dispute passes availability and concludes."""
    return any(r.kind == Kind.REMOTE and _has_outcome(r) for r in s.records)


@sometimes(M, ["DSP-6"])
def late_vote_in_window(m, s):
    """A statement is added to a record after its outcome (a late vote)."""
    return any(r.phase == Phase.CONCLUDED and r.age >= 1 and (r.votes_for | r.votes_against).bit_count() == _n(m)
               for r in s.records)


@sometimes(M, ["DSP-10"])
def descendant_finalized_after_approval(m, s):
    """Y's block A2 is finalized once X is approved."""
    return s.finalized == Block.A2


@sometimes(M, ["DSP-10", "DSP-5"])
def finalized_after_dispute_concluded_valid(m, s):
    """A chain executing X is finalized after X's dispute concluded valid."""
    return s.finalized in (Block.A1, Block.A2) and s.records[0].outcome == OUTCOME_VALID


# -- mutants ----------------------------------------------------------------------------------------------------------


@mutant(M, "dsp_no_acceptance_period", kills=["local_dispute_only_in_acceptance_period"])
class NoAcceptancePeriod(DisputesMachine):
    """Local disputes are accepted after the acceptance period."""

    def is_in_acceptance_period(self, s, fork):
        return s.incl_age[fork] >= 0


@mutant(M, "dsp_availability_by_half", kills=["remote_dispute_passes_availability"])
class AvailabilityByHalf(DisputesMachine):
    """A remote dispute's candidate counts as available with half of the pieces."""

    def is_available(self, avail):
        return 2 * avail.bit_count() >= self.params.n_validators


@mutant(M, "dsp_timeout_spares_disputers", kills=["unavailable_remote_dispute_slashes_disputers"])
class TimeoutSparesDisputers(DisputesMachine):
    """A remote dispute that never became available closes without slashing anyone."""

    def compute_closing(self, s, r):
        if r.phase == Phase.AVAILABILITY:
            return attrs.evolve(r, phase=Phase.CLOSED)
        return super().compute_closing(s, r)


@mutant(M, "dsp_rollup_reopens", kills=["rollup_concludes_at_once"])
class RollupReopens(DisputesMachine):
    """A concluded dispute transplanted to another fork goes through availability again."""

    def process_rollup(self, s, a):
        t = super().process_rollup(s, a)
        r = t.records[a.fork]
        r = Record(phase=Phase.AVAILABILITY, kind=Kind.ROLLUP, votes_for=r.votes_for, votes_against=r.votes_against)
        return attrs.evolve(t, records=t.records[:a.fork] + (r,) + t.records[a.fork + 1:])


@mutant(M, "dsp_decide_by_plurality", kills=["outcome_follows_rule"])
class DecideByPlurality(DisputesMachine):
    """The dispute concludes as soon as one side leads with three votes cast."""

    def compute_outcome(self, r):
        f, a = r.votes_for.bit_count(), r.votes_against.bit_count()
        if f + a < 3:
            return OUTCOME_NONE
        return OUTCOME_VALID if f > a else OUTCOME_INVALID if a > f else super().compute_outcome(r)


@mutant(M, "dsp_no_window", kills=["window_kept_open_after_conclusion"])
class NoWindow(DisputesMachine):
    """A concluded record closes at the next block: no window for late votes."""

    def is_window_over(self, age):
        return True


@mutant(M, "dsp_revert_keeps_inclusion", kills=["revert_to_last_ancestor_before_inclusion"])
class RevertKeepsInclusion(DisputesMachine):
    """The chain reverts to the inclusion block itself, not to its parent."""

    def compute_revert(self, s, fork):
        inc = self.get_inclusion_block(s, fork)
        return super().compute_revert(s, fork) & ~(1 << inc) if inc is not None else 0


@mutant(M, "dsp_no_blacklist", kills=["blacklisted_candidate_never_included"])
class NoBlacklist(DisputesMachine):
    """The invalid candidate can be included again."""

    def may_include(self, s):
        return True


@mutant(M, "dsp_revert_at_close_under_sdk", kills=["revert_to_last_ancestor_before_inclusion"],
        overrides={"reading": "sdk"})
class RevertAtCloseUnderSdk(DisputesMachine):
    """Under reading=sdk the fork is still reverted only when the window closes (the seed's
    DSP-7 kept where DSP-13 applies)."""

    def is_revert_at_conclusion(self):
        return False


@mutant(M, "dsp_revert_at_supermajority_under_sdk", kills=["revert_to_last_ancestor_before_inclusion"],
        overrides={"reading": "sdk"})
class RevertAtSupermajorityUnderSdk(DisputesMachine):
    """Under reading=sdk the fork reverts only when the votes against X reach the supermajority
    (the dispute concludes against), not as soon as they exceed f."""

    def is_freeze_triggered(self, against_before, against_after, included_now=False):
        n = self.params.n_validators
        return not is_supermajority(against_before, n) and is_supermajority(against_after, n)


@mutant(M, "dsp_blacklist_at_conclusion", kills=["blacklist_follows_invalid_outcome"],
        overrides={"reading": "seed"})
class BlacklistAtConclusion(DisputesMachine):
    """X is blacklisted as soon as a dispute concludes invalid, before its window closes."""

    def step(self, s, a):
        t = super().step(s, a)
        if any(r.outcome in INVALID_OUTCOMES for r in t.records) and not t.blacklisted:
            return attrs.evolve(t, blacklisted=True)
        return t


@mutant(M, "dsp_build_on_invalid_chain", kills=["never_build_on_abandoned_chain"])
class BuildOnInvalidChain(DisputesMachine):
    """Block authors keep building on a chain whose candidate was found invalid."""

    def may_build_on(self, s, parent):
        return True


@mutant(M, "dsp_grandpa_ignores_disputes", kills=["finality_waits_for_approval", "concluded_invalid_never_finalized",
                                                   "invalid_candidate_never_finalized", "type_ok"])
class GrandpaIgnoresDisputes(DisputesMachine):
    """GRANDPA finalizes chains whose candidates are unapproved or disputed."""

    def may_finalize(self, s, b):
        return True


@mutant(M, "dsp_authors_ignore_foreign_evidence", kills=["evidence_reaches_every_fork"])
class AuthorsIgnoreForeignEvidence(DisputesMachine):
    """Block authors do not include statements seen on other forks, nor roll up concluded
    disputes: evidence stays on the fork where it appeared."""

    def evidence_due(self, s):
        return False


@mutant(M, "dsp_rollup_slashes_nobody", kills=["evidence_reaches_every_fork"])
class RollupSlashesNobody(DisputesMachine):
    """A dispute rolled up from another fork closes without slashing (slashing only on the
    fork where the dispute started)."""

    def compute_closing(self, s, r):
        out = super().compute_closing(s, r)
        return attrs.evolve(out, slashed=0) if r.kind == Kind.ROLLUP else out


@mutant(M, "dsp_backing_not_evidence", kills=["only_the_backers_of_the_invalid_block_slashed"])
class BackingNotEvidence(DisputesMachine):
    """A local dispute does not import X's backing as votes for it, so backers who stay
    silent escape."""

    def get_backers(self, s):
        return 0


@mutant(M, "dsp_slash_descendant_backers", kills=["only_the_backers_of_the_invalid_block_slashed",
                                                   "nobody_honest_slashed"])
class SlashDescendantBackers(DisputesMachine):
    """Y's backers are slashed with X's when X is found invalid."""

    def compute_closing(self, s, r):
        out = super().compute_closing(s, r)
        if out.outcome in INVALID_OUTCOMES:
            return attrs.evolve(out, slashed=out.slashed | self.get_y_backers(s))
        return out
