"""Properties and mutants of the ``rescue`` machine (spec/rescue.md, [RESCUE])."""

from __future__ import annotations

import attrs

from paraspec.model.core import Rejected
from paraspec.model.rescue import (
    Authority,
    Code,
    EnactRescue,
    OptIn,
    OptOut,
    OwnUpgrade,
    ParaBlock,
    RelayEnact,
    RescueMachine,
    Vote,
)

from .core import always, mutant, sometimes, transition

M = "rescue"
#: actions that are (or happen inside) a block of the para they name
PARA_BLOCKS = (ParaBlock, OptIn, OptOut, OwnUpgrade)


def _ok(t) -> bool:
    return not isinstance(t, Rejected)


def _changed(s, t):
    """Paras whose code changed in the step."""
    return [i for i, (p, q) in enumerate(zip(s.paras, t.paras)) if p.code != q.code]


# -- invariants ---------------------------------------------------------------------------------


@always(M, ["RSC-1", "RSC-4"], witness=lambda m, s: any(p.votes for p in s.paras))
def type_ok(m, s):
    """Votes come from members of the para's own authority; only an opted-in para has votes;
    the stall clock saturates just past X."""
    for p in s.paras:
        n = m.config.electorate(p.authority)
        if p.votes >> n or (p.votes and p.authority == Authority.NONE):
            return False
        if not 0 <= p.age <= m.config.stall_minutes + 1:
            return False
    return True


# -- transition properties -------------------------------------------------------------------------


@transition(M, ["RSC-3", "RSC-6"], on=[EnactRescue], witness=lambda m, s, a, t: s.paras[a.para].age
            == m.config.stall_minutes and s.paras[a.para].authority != Authority.NONE)
def live_para_never_rescued(m, s, a, t):
    """The rescue authority replaces a para's code only after more than X minutes without a
    para block."""
    return not _ok(t) or s.paras[a.para].age > m.config.stall_minutes


@transition(M, ["RSC-5"], witness=lambda m, s, a, t: isinstance(a, PARA_BLOCKS) and _ok(t)
            and s.paras[a.para].votes != 0)
def votes_void_at_para_block(m, s, a, t):
    """A para block (including one carrying the para's own governance) voids every rescue
    vote cast before it: votes never carry over a para block."""
    if not _ok(t) or not isinstance(a, PARA_BLOCKS):
        return True
    return t.paras[a.para].votes == 0 and t.paras[a.para].age == 0


@transition(M, ["RSC-8"], witness=lambda m, s, a, t: _ok(t) and any(
    s.paras[i].authority == Authority.NONE for i in _changed(s, t)))
def opted_out_code_changed_only_by_itself_or_relay(m, s, a, t):
    """The code of a para without a rescue authority is only ever changed by its own
    upgrades or by relay-chain governance."""
    if not _ok(t):
        return True
    for i in _changed(s, t):
        if s.paras[i].authority == Authority.NONE and not isinstance(a, (OwnUpgrade, RelayEnact)):
            return False
    return True


@transition(M, ["RSC-9", "RSC-6"], on=[EnactRescue], witness=lambda m, s, a, t: s.paras[a.para].votes != 0
            and s.paras[a.para].age > m.config.stall_minutes)
def rescue_needs_the_threshold(m, s, a, t):
    """A rescue needs at least 3/4 of the collator set, or more than half of the
    token-holder vote weight, as the para chose; it installs the rescue code and uses up
    the votes."""
    if not _ok(t):
        return True
    p, q = s.paras[a.para], t.paras[a.para]
    votes = p.votes.bit_count()
    if p.authority == Authority.COLLATORS:
        met = 4 * votes >= 3 * m.config.collators
    elif p.authority == Authority.TOKEN_HOLDERS:
        met = 2 * votes > m.config.token_holders
    else:
        met = False
    return met and q.code == Code.RESCUED and q.votes == 0


@transition(M, ["RSC-7"], witness=lambda m, s, a, t: isinstance(a, EnactRescue) and s.paras[a.para].relay_pending
            or isinstance(a, RelayEnact) and _ok(t) and s.paras[a.para].votes != 0)
def relay_governance_takes_precedence(m, s, a, t):
    """While relay-chain governance deliberates on a para its rescue authority waits, and
    relay governance's code voids the rescue votes."""
    if not _ok(t):
        return True
    if isinstance(a, EnactRescue):
        return not s.paras[a.para].relay_pending
    if isinstance(a, RelayEnact):
        return t.paras[a.para].votes == 0 and t.paras[a.para].code == Code.RELAY_SET
    return True


@transition(M, ["RSC-1", "RSC-2"], on=[OptIn, OptOut, OwnUpgrade], witness=lambda m, s, a, t: a.origin != a.para)
def only_the_para_decides_for_itself(m, s, a, t):
    """Opting in, opting out and own upgrades come from the para's own governance, in one of
    its own blocks (so a stalled para cannot change them)."""
    if not _ok(t):
        return True
    return a.origin == a.para and s.paras[a.para].code in (Code.ORIGINAL, Code.RESCUED, Code.RELAY_SET)


@transition(M, ["RSC-10"], on=[ParaBlock], witness=lambda m, s, a, t: s.paras[a.para].code in (Code.BROKEN, Code.VOID))
def broken_para_produces_no_block(m, s, a, t):
    """A para whose code is broken or void produces no block until its code is replaced."""
    return not _ok(t) or s.paras[a.para].code not in (Code.BROKEN, Code.VOID)


@transition(M, ["RSC-4"], on=[Vote], witness=lambda m, s, a, t: s.paras[a.para].authority == Authority.NONE)
def votes_only_for_opted_in_paras(m, s, a, t):
    """Only the members of an opted-in para's authority vote, once each."""
    if not _ok(t):
        return True
    p = s.paras[a.para]
    return (p.authority != Authority.NONE and 0 <= a.voter < m.config.electorate(p.authority)
            and not (p.votes >> a.voter) & 1)


# -- reachability witnesses ----------------------------------------------------------------------------


@sometimes(M, ["RSC-6", "RSC-10"])
def rescued_para_runs_again(m, s):
    """A para rescued after a bad upgrade produces blocks again."""
    return any(p.code == Code.RESCUED and p.age == 0 for p in s.paras)


@sometimes(M, ["RSC-8"])
def self_stopped_para_stays_stopped(m, s):
    """A para that opted out and set its code to void stays stalled."""
    return any(p.code == Code.VOID and p.authority == Authority.NONE and p.age > m.config.stall_minutes
               for p in s.paras)


# -- mutants ----------------------------------------------------------------------------------------


@mutant(M, "rsc_rescue_at_x_minutes", kills=["live_para_never_rescued"])
class RescueAtXMinutes(RescueMachine):
    """``>=`` for ``>``: a para is rescued after exactly X minutes without a block."""

    def is_stalled(self, p):
        return p.age >= self.config.stall_minutes


@mutant(M, "rsc_votes_survive_para_block", kills=["votes_void_at_para_block"])
class VotesSurviveParaBlock(RescueMachine):
    """A para block resets the stall clock but keeps the votes."""

    def para_block(self, p):
        return attrs.evolve(p, age=0)


@mutant(M, "rsc_opt_out_ignored", kills=["opted_out_code_changed_only_by_itself_or_relay"])
class OptOutIgnored(RescueMachine):
    """The opt-in check is left out, and a para without an authority has no threshold to
    meet: anyone may rescue a stalled para that opted out."""

    def is_opted_in(self, p):
        return True

    def is_threshold_met(self, p):
        return p.authority == Authority.NONE or super().is_threshold_met(p)


@mutant(M, "rsc_collator_majority", kills=["rescue_needs_the_threshold"])
class CollatorMajority(RescueMachine):
    """A majority of the collator set suffices (instead of 3/4)."""

    def is_threshold_met(self, p):
        if p.authority == Authority.COLLATORS:
            return 2 * p.votes.bit_count() > self.config.collators
        return super().is_threshold_met(p)


@mutant(M, "rsc_relay_ignored", kills=["relay_governance_takes_precedence"])
class RelayIgnored(RescueMachine):
    """The rescue authority acts while relay-chain governance is deciding on the para."""

    def may_rescue(self, p):
        return True


@mutant(M, "rsc_relay_keeps_votes", kills=["relay_governance_takes_precedence"])
class RelayKeepsVotes(RescueMachine):
    """Relay-chain governance sets the code but the rescue votes stay."""

    def process_relay_enact(self, s, a):
        t = super().process_relay_enact(s, a)
        return self._set(t, a.para, attrs.evolve(t.paras[a.para], votes=s.paras[a.para].votes))


@mutant(M, "rsc_foreign_opt_in", kills=["only_the_para_decides_for_itself"])
class ForeignOptIn(RescueMachine):
    """Any origin may opt a para in or out (e.g. the would-be rescuer)."""

    def is_own_governance(self, para, origin):
        return True


@mutant(M, "rsc_void_para_produces_blocks", kills=["broken_para_produces_no_block"])
class VoidParaProducesBlocks(RescueMachine):
    """A para with void code still gets blocks in."""

    def is_working(self, code):
        return True


@mutant(M, "rsc_outsider_votes", kills=["votes_only_for_opted_in_paras", "type_ok"])
class OutsiderVotes(RescueMachine):
    """Votes from outside the authority's electorate are counted."""

    def process_vote(self, s, a):
        p = s.paras[a.para]
        if p.authority != Authority.NONE and a.voter >= self.config.electorate(p.authority):
            return self._set(s, a.para, attrs.evolve(p, votes=p.votes | (1 << a.voter)))
        return super().process_vote(s, a)
