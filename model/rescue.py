"""Opt-in parachain rescue: [RESCUE] ("How to Recover a Parachain").

Rules RSC-1 .. RSC-10 of ``spec/rescue.md``. A para may opt in, through its own
governance (so in one of its own blocks), by naming a rescue authority: a threshold of
its collator set or of its token holders' votes. The authority may replace the para's
code (``forceSetCurrentCode``) only once the para has produced no block for more than X
minutes; votes are void as soon as the para produces a block again; relay-chain
governance takes precedence (it may set any para's code, and while it deliberates on a
para the authority waits); a para that opted out, for example before stopping itself on
purpose, is never rescued.

Abstractions (RSC-D5): the authority's electorate is a few members (collators, or units
of token-holder vote weight); code is a small enum saying who set it and whether it
works; time is in minutes.
"""

from __future__ import annotations

import enum
from typing import Any, Iterable

import attrs

from .config import ConfigError, HostConfiguration
from .readings import check_reading
from .core import Machine, register_machine, require
from .halts import bits
from .resilience import is_collator_threshold_met, is_para_stalled, is_token_threshold_met
from .rules import implements

__all__ = [
    "Authority",
    "Code",
    "RELAY",
    "RescueConfig",
    "RESCUE_PRESETS",
    "ParaRescue",
    "RescueState",
    "RescueMachine",
    "Tick",
    "ParaBlock",
    "OptIn",
    "OptOut",
    "OwnUpgrade",
    "Vote",
    "EnactRescue",
    "RelayPropose",
    "RelayEnact",
    "RelayReject",
    "ACTIONS",
]


class Authority(enum.IntEnum):
    """The rescue authority a para names when it opts in (``NONE``: not opted in)."""

    NONE = 0
    COLLATORS = 1
    TOKEN_HOLDERS = 2


class Code(enum.IntEnum):
    """The para's current validation code, by who set it and whether it works."""

    ORIGINAL = 0
    #: an own upgrade with a bug: the para can no longer produce blocks
    BROKEN = 1
    #: set to void on purpose (the para stopped itself)
    VOID = 2
    #: replaced by the rescue authority
    RESCUED = 3
    #: set by relay-chain governance
    RELAY_SET = 4


WORKING = (Code.ORIGINAL, Code.RESCUED, Code.RELAY_SET)
#: the origin of relay-chain governance (any other origin is a para id)
RELAY = -1


@attrs.frozen
class RescueConfig:
    name: str = "tiny"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    n_paras: int = 1
    #: the seed's X: minutes without a para block after which a rescue may happen
    stall_minutes: int = 1
    #: members of a collator-set authority
    collators: int = 3
    #: members (vote-weight units) of a token-holder authority
    token_holders: int = 3

    def validate(self) -> "RescueConfig":
        for f in attrs.fields(RescueConfig):
            v = getattr(self, f.name)
            if f.type in ("int", int) and (not isinstance(v, int) or isinstance(v, bool)):
                raise ConfigError(f.name, "CFG-1", f"must be an integer, got {v!r}")
        for name in ("n_paras", "collators", "token_holders"):
            if getattr(self, name) < 1:
                raise ConfigError(name, "CFG-1", "must be at least 1")
        if self.stall_minutes < 0:
            raise ConfigError("stall_minutes", "CFG-1", "must not be negative")
        check_reading(self)
        return self

    def electorate(self, authority: Authority) -> int:
        return {Authority.COLLATORS: self.collators, Authority.TOKEN_HOLDERS: self.token_holders}.get(authority, 0)



RESCUE_PRESETS: dict[str, RescueConfig] = {
    c.name: c.validate()
    for c in (
        RescueConfig(name="tiny"),
        RescueConfig(name="small", n_paras=2, stall_minutes=0, collators=2, token_holders=1),
        # X is not given by the seed (RSC-D1); one hour; 3/4 of 4 collators = 3 votes
        RescueConfig(name="seed", n_paras=2, stall_minutes=60, collators=4, token_holders=10),
    )
}


@attrs.frozen
class ParaRescue:
    authority: Authority = Authority.NONE
    code: Code = Code.ORIGINAL
    #: minutes since the para's last block (saturates at stall_minutes + 1)
    age: int = 0
    #: members of the authority who voted for the rescue since the last para block
    votes: int = 0
    #: relay-chain governance has an open proposal to set this para's code
    relay_pending: bool = False


@attrs.frozen(cache_hash=True)
class RescueState:
    paras: tuple[ParaRescue, ...]


@attrs.frozen
class Tick:
    """A minute of relay-chain time passes."""


@attrs.frozen
class ParaBlock:
    """The para's collators get a para block included."""

    para: int


@attrs.frozen
class OptIn:
    """The para's governance names a rescue authority (in one of its blocks)."""

    para: int
    authority: Authority
    origin: int


@attrs.frozen
class OptOut:
    para: int
    origin: int


@attrs.frozen
class OwnUpgrade:
    """The para's governance enacts new code of its own (in one of its blocks)."""

    para: int
    code: Code
    origin: int


@attrs.frozen
class Vote:
    """Member ``voter`` of the para's rescue authority votes to replace its code."""

    para: int
    voter: int


@attrs.frozen
class EnactRescue:
    """The rescue authority calls ``forceSetCurrentCode`` for the para."""

    para: int


@attrs.frozen
class RelayPropose:
    """Relay-chain governance opens a proposal to set the para's code."""

    para: int


@attrs.frozen
class RelayEnact:
    para: int


@attrs.frozen
class RelayReject:
    para: int


ACTIONS: dict[str, type] = {c.__name__: c for c in (Tick, ParaBlock, OptIn, OptOut, OwnUpgrade, Vote, EnactRescue,
                                                     RelayPropose, RelayEnact, RelayReject)}


@register_machine
class RescueMachine(Machine):
    """Opt-in rescue of stalled paras by an authority they name, under relay-chain governance."""

    name = "rescue"
    area = "rescue"
    description = "opt-in parachain rescue after X minutes without a block; relay governance first ([RESCUE])"
    action_classes = ACTIONS
    presets = RESCUE_PRESETS

    Params = RescueConfig

    def __init__(self, config):
        super().__init__(config)

    # -- rules ---------------------------------------------------------------------------------
    @implements("RSC-3")
    def is_stalled(self, p: ParaRescue) -> bool:
        """RSC-3: no para block for more than X minutes."""
        return is_para_stalled(p.age, self.config.stall_minutes)

    @implements("RSC-1", "RSC-8")
    def is_opted_in(self, p: ParaRescue) -> bool:
        """RSC-1, RSC-8: the para has named a rescue authority (and not withdrawn it)."""
        return p.authority != Authority.NONE

    @implements("RSC-9")
    def is_threshold_met(self, p: ParaRescue) -> bool:
        """RSC-9: the authority's threshold, as the para configured it."""
        votes = p.votes.bit_count()
        if p.authority == Authority.COLLATORS:
            return is_collator_threshold_met(votes, self.config.collators)
        if p.authority == Authority.TOKEN_HOLDERS:
            return is_token_threshold_met(votes, self.config.token_holders)
        return False

    @implements("RSC-7")
    def may_rescue(self, p: ParaRescue) -> bool:
        """RSC-7: relay-chain governance deliberating on the para takes precedence."""
        return not p.relay_pending

    @implements("RSC-1", "RSC-2")
    def is_own_governance(self, para: int, origin: int) -> bool:
        """RSC-1, RSC-2: the para's own governance, acting in one of its own blocks."""
        return origin == para

    @implements("RSC-10")
    def is_working(self, code: Code) -> bool:
        """RSC-10: the para can produce blocks with this code."""
        return code in WORKING

    @implements("RSC-5")
    def para_block(self, p: ParaRescue) -> ParaRescue:
        """RSC-5: a para block resets the stall clock and voids the rescue votes."""
        return attrs.evolve(p, age=0, votes=0)

    # -- machine ---------------------------------------------------------------------------------
    def init(self):
        yield RescueState(paras=tuple(ParaRescue() for _ in range(self.config.n_paras)))

    def actions(self, s: RescueState) -> Iterable[Any]:
        c = self.config
        yield Tick()
        foreign = c.n_paras  # an origin that is not the para (another chain)
        for i, p in enumerate(s.paras):
            yield ParaBlock(i)
            if p.authority == Authority.NONE:
                yield OptIn(i, Authority.COLLATORS, i)
                yield OptIn(i, Authority.TOKEN_HOLDERS, i)
                yield OptIn(i, Authority.COLLATORS, foreign)
            else:
                yield OptOut(i, i)
                yield OptOut(i, foreign)
            if p.code in WORKING:
                yield OwnUpgrade(i, Code.BROKEN, i)
                yield OwnUpgrade(i, Code.VOID, i)
            if p.authority == Authority.NONE:
                yield Vote(i, 0)
            else:
                n = c.electorate(p.authority)
                for v in range(n):
                    if not (p.votes >> v) & 1:
                        yield Vote(i, v)
                yield Vote(i, n)
            yield EnactRescue(i)
            if p.relay_pending:
                yield RelayEnact(i)
                yield RelayReject(i)
            else:
                yield RelayPropose(i)

    def get_para(self, s: RescueState, para: int) -> ParaRescue:
        require(0 <= para < len(s.paras), "RSC-1", f"unknown para {para}")
        return s.paras[para]

    def _set(self, s: RescueState, para: int, p: ParaRescue) -> RescueState:
        return RescueState(paras=s.paras[:para] + (p,) + s.paras[para + 1:])

    @implements("RSC-3")
    def process_tick(self, s: RescueState, a: Tick) -> RescueState:
        """RSC-3: a minute passes; every para's time since its last block grows (capped
        just past X, where the stall condition holds)."""
        cap = self.config.stall_minutes + 1
        return RescueState(paras=tuple(attrs.evolve(p, age=min(p.age + 1, cap)) for p in s.paras))

    def require_block(self, p: ParaRescue, para: int) -> None:
        require(self.is_working(p.code), "RSC-10", f"para {para} cannot produce a block with {p.code.name} code")

    def process_para_block(self, s: RescueState, a: ParaBlock) -> RescueState:
        p = self.get_para(s, a.para)
        self.require_block(p, a.para)
        return self._set(s, a.para, self.para_block(p))

    def process_opt_in(self, s: RescueState, a: OptIn) -> RescueState:
        p = self.get_para(s, a.para)
        require(self.is_own_governance(a.para, a.origin), "RSC-1",
                f"origin {a.origin} is not para {a.para}'s governance")
        require(Authority(a.authority) != Authority.NONE, "RSC-1", "opting in names an authority")
        self.require_block(p, a.para)
        return self._set(s, a.para, attrs.evolve(self.para_block(p), authority=Authority(a.authority)))

    def process_opt_out(self, s: RescueState, a: OptOut) -> RescueState:
        p = self.get_para(s, a.para)
        require(self.is_own_governance(a.para, a.origin), "RSC-2",
                f"origin {a.origin} is not para {a.para}'s governance")
        self.require_block(p, a.para)
        return self._set(s, a.para, attrs.evolve(self.para_block(p), authority=Authority.NONE))

    def process_own_upgrade(self, s: RescueState, a: OwnUpgrade) -> RescueState:
        p = self.get_para(s, a.para)
        require(self.is_own_governance(a.para, a.origin), "RSC-8",
                f"origin {a.origin} is not para {a.para}'s governance")
        require(Code(a.code) in (Code.ORIGINAL, Code.BROKEN, Code.VOID), "RSC-8",
                f"{Code(a.code).name} code is not set by the para itself")
        self.require_block(p, a.para)
        return self._set(s, a.para, attrs.evolve(self.para_block(p), code=Code(a.code)))

    def process_vote(self, s: RescueState, a: Vote) -> RescueState:
        p = self.get_para(s, a.para)
        require(self.is_opted_in(p), "RSC-4", f"para {a.para} has no rescue authority")
        n = self.config.electorate(p.authority)
        require(0 <= a.voter < n, "RSC-4", f"voter {a.voter} is not one of the authority's {n} members")
        require(not (p.votes >> a.voter) & 1, "RSC-4", f"voter {a.voter} has already voted")
        return self._set(s, a.para, attrs.evolve(p, votes=p.votes | (1 << a.voter)))

    def process_enact_rescue(self, s: RescueState, a: EnactRescue) -> RescueState:
        p = self.get_para(s, a.para)
        require(self.is_opted_in(p), "RSC-8", f"para {a.para} has not opted in to rescue")
        require(self.is_stalled(p), "RSC-3",
                f"para {a.para} produced a block {p.age} minutes ago, not more than {self.config.stall_minutes}")
        require(self.may_rescue(p), "RSC-7", f"relay-chain governance is deciding on para {a.para}")
        require(self.is_threshold_met(p), "RSC-9",
                f"{p.votes.bit_count()} votes of {self.config.electorate(p.authority)} do not meet the "
                f"{p.authority.name.lower()} threshold")
        return self._set(s, a.para, attrs.evolve(p, code=Code.RESCUED, votes=0))

    def process_relay_propose(self, s: RescueState, a: RelayPropose) -> RescueState:
        p = self.get_para(s, a.para)
        require(not p.relay_pending, "RSC-7", f"a relay-chain proposal for para {a.para} is already open")
        return self._set(s, a.para, attrs.evolve(p, relay_pending=True))

    def process_relay_enact(self, s: RescueState, a: RelayEnact) -> RescueState:
        p = self.get_para(s, a.para)
        require(p.relay_pending, "RSC-7", f"no relay-chain proposal for para {a.para}")
        return self._set(s, a.para, attrs.evolve(p, code=Code.RELAY_SET, relay_pending=False, votes=0))

    def process_relay_reject(self, s: RescueState, a: RelayReject) -> RescueState:
        p = self.get_para(s, a.para)
        require(p.relay_pending, "RSC-7", f"no relay-chain proposal for para {a.para}")
        return self._set(s, a.para, attrs.evolve(p, relay_pending=False))

    def describe(self, s: RescueState) -> dict[str, Any]:
        """Per-para lists (index = para id) of plain values."""
        return {
            "authorities": [p.authority.name for p in s.paras],
            "codes": [p.code.name for p in s.paras],
            "ages": [p.age for p in s.paras],
            "stalled": [self.is_stalled(p) for p in s.paras],
            "votes": [bits(p.votes) for p in s.paras],
            "relay_pending": [p.relay_pending for p in s.paras],
        }
