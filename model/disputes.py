"""Disputes across the forks of the relay chain: [IG §2.5.8], [IG §2.5.9] and [IG §2.3].

A small block tree: genesis ``G`` (finalized) with two forks of depth two, ``A1 -> A2``
and ``B1 -> B2``. Parablock ``X`` is included in ``A1`` and may also be included in
``B1``; its child parablock ``Y`` is included in ``A2``. ``X`` is valid or invalid
(the ground truth); an invalid ``X`` was backed by the byzantine validator.

Each fork's runtime keeps its own dispute record for ``X``:

* a *local* dispute, on a fork that includes ``X``, may start only within the
  acceptance period after the inclusion (DSP-1); before it, validity statements are
  the approval votes that let GRANDPA finalize (DSP-10);
* a *remote* dispute, on a fork that does not include ``X``, is transplanted there: an
  unconcluded one first goes through an availability phase (DSP-2) whose timeout
  slashes the disputing validators (DSP-3); a concluded one is rolled up in one
  transaction (DSP-4);
* votes decide the outcome with the escalation rule (``dispute_rule``, DSP-5); the
  record stays open ``window`` blocks after its outcome for late votes (DSP-6); when it
  closes, the losing side is slashed (SLS-1 .. SLS-3) and, after an invalid outcome,
  the fork reverts to the last ancestor before the inclusion and ``X`` is blacklisted
  on every fork (DSP-7, DSP-8); under ``reading=sdk`` the fork reverts as soon as more
  than f validators vote against X on it and X is blacklisted when a dispute concludes
  invalid (DSP-13, :func:`is_sdk_freeze_triggered`); ``Y`` is invalidated with ``X``, but
  only ``X``'s backers are slashed (SLS-4);
* statements on one fork are evidence on every fork: block authors include them, and
  a concluded dispute is rolled up on every fork (DSP-11).

(Validator duty across sessions, DSP-9, and its sdk reading, DSP-14, are rules on votes
and sessions, modelled by the count-level ``escalation`` machine; the rule itself,
:func:`is_dispute_session_kept`, is exported here for a runtime that consumes dispute
statement sets.) The environment is partially synchronous
(DSP-12): a block (``Tick``) does not happen while an honest validator's due vote, or
evidence known on one fork and missing on another, is outstanding. Validators 0 .. n-2
are honest; the last one is byzantine when the run has a byzantine validator (one, so
at most f for every n >= 4: f = 1 of 4, 2 of 7). Honest validators vote in index
order: a symmetry reduction, since which honest validator votes next matters to no
rule (honest backers vote like the others).

Rules DSP-1 .. DSP-8, DSP-10 .. DSP-12 and SLS-1 .. SLS-4 of ``spec/disputes.md``.
"""

from __future__ import annotations

import enum

import attrs

from .config import ConfigError, check_choice_field, check_int_fields
from .readings import check_reading, is_sdk
from .core import Machine, register_machine, require
from .escalation import INVALID_OUTCOMES, losing_side
from .rules import implements
from .thresholds import (
    DISPUTE_RULES,
    OUTCOME_NONE,
    OUTCOME_VALID,
    byzantine_threshold,
    dispute_outcome,
    has_supermajority_either_way,
    is_byzantine_exceeded,
    is_dispute_session_kept,
    is_more_than_two_thirds,
    is_supermajority,
)

__all__ = [
    "Phase",
    "Kind",
    "Side",
    "Block",
    "DisputesConfig",
    "DISPUTES_PRESETS",
    "Record",
    "DisputesState",
    "Build",
    "Vote",
    "Dispute",
    "AvailabilityVote",
    "Rollup",
    "Finalize",
    "Tick",
    "DisputesMachine",
    "PARENT",
    "FORK_BLOCKS",
    "is_dispute_session_kept",
    "is_sdk_freeze_triggered",
]


class Phase(enum.IntEnum):
    NONE = 0
    #: remote, unconcluded: waiting for the candidate to become available on this fork
    AVAILABILITY = 1
    OPEN = 2
    #: an outcome is reached; late votes are still accepted (DSP-6)
    CONCLUDED = 3
    CLOSED = 4


class Kind(enum.IntEnum):
    NONE = 0
    LOCAL = 1
    REMOTE = 2
    #: a concluded dispute rolled up from another fork
    ROLLUP = 3


class Side(enum.IntEnum):
    VALID = 1
    INVALID = 2


class Block(enum.IntEnum):
    G = 0
    A1 = 1
    A2 = 2
    B1 = 3
    B2 = 4


PARENT = {Block.A1: Block.G, Block.A2: Block.A1, Block.B1: Block.G, Block.B2: Block.B1}
#: the blocks of each fork, in order (fork 0 is A, fork 1 is B)
FORK_BLOCKS = ((Block.A1, Block.A2), (Block.B1, Block.B2))
FORKS = (0, 1)


@attrs.frozen
class DisputesConfig:
    """Parameters of the ``disputes`` machine (``spec/disputes.md``).

    The model fixes the roles of three validators: validator 0 backs a valid X,
    validator 1 backs Y, and the last one (``n_validators - 1``) is the byzantine
    validator of the runs that have one. So ``n_validators`` is at least 4, where
    f >= 1 and one byzantine validator is within the fault bound.
    """

    name: str = "custom"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    n_validators: int = 4
    #: blocks after inclusion during which a local dispute may start (DSP-1)
    acceptance_period: int = 1
    #: blocks a record stays open after its outcome (DSP-6)
    window: int = 1
    #: blocks a remote dispute may wait for availability (DSP-3)
    availability_timeout: int = 1
    #: "seed" or "sdk" (decision ESC-D1)
    dispute_rule: str = "seed"

    @property
    def f(self) -> int:
        """The byzantine threshold of the validator set."""
        return byzantine_threshold(self.n_validators)

    @property
    def byzantine(self) -> int:
        """The byzantine validator (the last one) of the runs that have one."""
        return self.n_validators - 1

    def validate(self) -> "DisputesConfig":
        check_int_fields(self, {"n_validators": 1, "acceptance_period": 0, "window": 0,
                                "availability_timeout": 1})
        if self.f < 1:
            raise ConfigError("n_validators", "CFG-1",
                              f"{self.n_validators} validators: the model's byzantine validator needs f >= 1, "
                              "so at least 4 validators")
        check_choice_field(self, "dispute_rule", DISPUTE_RULES)
        check_reading(self)
        return self


#: named parameter sets; ``tiny`` is the one ``make check`` explores
DISPUTES_PRESETS: dict[str, DisputesConfig] = {
    p.name: p.validate() for p in (
        DisputesConfig(name="tiny"),
    )
}


@attrs.frozen
class Record:
    """One fork's dispute record for X."""

    phase: Phase = Phase.NONE
    kind: Kind = Kind.NONE
    votes_for: int = 0
    votes_against: int = 0
    #: availability votes of a remote dispute's availability phase
    avail: int = 0
    #: blocks in the current phase (availability, or since the outcome)
    age: int = 0
    outcome: int = OUTCOME_NONE
    slashed: int = 0
    fee: int = 0
    penalized: int = 0


@attrs.frozen(cache_hash=True)
class DisputesState:
    truth_valid: bool
    #: the run has a byzantine validator (the last one)
    byzantine: bool
    #: blocks built (bitmask over Block)
    built: int = 1
    #: B1 includes X
    x_on_b: bool = False
    #: blocks abandoned by a revert (bitmask)
    reverted: int = 0
    finalized: Block = Block.G
    blacklisted: bool = False
    records: tuple[Record, Record] = (Record(), Record())
    #: per fork: blocks since X was included on it (capped), -1 when it is not included
    incl_age: tuple[int, int] = (-1, -1)


@attrs.frozen
class Build:
    """A block author builds ``block``; ``with_x`` says whether it includes X (only B1 chooses)."""

    block: Block
    with_x: bool = False


@attrs.frozen
class Vote:
    """``validator``'s statement on X, included on ``fork``."""

    fork: int
    validator: int
    side: Side


@attrs.frozen
class Dispute:
    """``validator`` starts a remote dispute on ``fork`` (which does not include X),
    with its statement of invalidity and X's backing."""

    fork: int
    validator: int


@attrs.frozen
class AvailabilityVote:
    """``validator`` attests, on ``fork``, that it holds its piece of X."""

    fork: int
    validator: int


@attrs.frozen
class Rollup:
    """The concluded dispute of fork ``source`` is rolled up onto ``fork`` in one transaction."""

    fork: int
    source: int


@attrs.frozen
class Finalize:
    """GRANDPA finalizes ``block``."""

    block: Block


@attrs.frozen
class Tick:
    """A relay-chain block passes on every fork."""


@implements("DSP-13")
def is_sdk_freeze_triggered(n_validators: int, against_before: int, against_after: int,
                            included_now: bool = False) -> bool:
    """DSP-13 (reading=sdk): the runtime of a chain that includes X reverts to the block before the
    inclusion and freezes, given the votes against X before and after one block's statements.

    polkadot-sdk ``disputes.rs``: ``process_checked_dispute_data`` freezes when the statements newly
    set ``AGAINST_BYZANTINE`` (more than f against) on a candidate the chain included;
    ``note_included`` freezes when a candidate is included (``included_now``) while its dispute
    already has a supermajority against (at least n - f). Counts, not bitmasks, so a runtime
    that keeps its own dispute state can call it; decision DSP-D5."""
    if included_now:
        return bool(is_supermajority(against_after, n_validators))
    return bool(not is_byzantine_exceeded(against_before, n_validators)
                and is_byzantine_exceeded(against_after, n_validators))


def _set(t: tuple, i: int, v) -> tuple:
    return t[:i] + (v,) + t[i + 1:]


_FIELDS: dict[type, tuple[str, ...]] = {}


def _evolve(obj, **changes):
    """``attrs.evolve`` for the machine's frozen records, without its per-call introspection."""
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in attrs.fields(cls))
    return cls(*[changes[n] if n in changes else getattr(obj, n) for n in names])


@register_machine
class DisputesMachine(Machine):
    """Local and remote disputes on a forkful relay chain, revert, blacklist and slashing."""

    name = "disputes"
    area = "disputes"
    description = "disputes across forks: local, remote, revert, blacklist, slashing ([IG §2.5.8–2.5.9])"

    Params = DisputesConfig
    presets = DISPUTES_PRESETS
    default_preset = "tiny"

    def __init__(self, params: DisputesConfig):
        super().__init__(params)

    # -- accessors ---------------------------------------------------------------------------------------
    def get_honest(self, s: DisputesState) -> int:
        n = self.params.n_validators
        return ((1 << n) - 1) & ~(1 << self.params.byzantine) if s.byzantine else (1 << n) - 1

    def get_backers(self, s: DisputesState) -> int:
        """X's backers: honest validator 0 for a valid X, the byzantine validator otherwise."""
        return 1 if s.truth_valid else 1 << self.params.byzantine

    def get_y_backers(self, s: DisputesState) -> int:
        """Y's backers: honest validator 1."""
        return 1 << 1

    def get_inclusion_block(self, s: DisputesState, fork: int) -> Block | None:
        if fork == 0:
            return Block.A1 if (s.built >> Block.A1) & 1 else None
        return Block.B1 if s.x_on_b else None

    def is_on_chain(self, b: Block, c: Block) -> bool:
        """``b`` is ``c`` or an ancestor of it."""
        while True:
            if b == c:
                return True
            if c == Block.G:
                return False
            c = PARENT[c]

    def get_fork(self, b: Block) -> int | None:
        for f, blocks in enumerate(FORK_BLOCKS):
            if b in blocks:
                return f
        return None

    def has_x(self, s: DisputesState, fork: int) -> bool:
        return self.get_inclusion_block(s, fork) is not None

    def fork_exists(self, s: DisputesState, fork: int) -> bool:
        return bool((s.built >> FORK_BLOCKS[fork][0]) & 1)

    def is_obtainable(self, s: DisputesState) -> bool:
        """Honest validators can get X: its backer is honest, or it was made available by
        its inclusion on some fork."""
        return s.truth_valid or self.has_x(s, 0) or self.has_x(s, 1)

    def honest_side(self, s: DisputesState) -> Side:
        return Side.VALID if s.truth_valid else Side.INVALID

    def next_honest(self, s: DisputesState, done: int) -> int | None:
        """The lowest-index honest validator not in ``done`` (honest validators vote in order)."""
        rest = self.get_honest(s) & ~done
        return (rest & -rest).bit_length() - 1 if rest else None

    # -- rules -----------------------------------------------------------------------------------------------
    @implements("DSP-1")
    def is_in_acceptance_period(self, s: DisputesState, fork: int) -> bool:
        """DSP-1: a local dispute may start only while X is in its acceptance period."""
        return 0 <= s.incl_age[fork] < self.params.acceptance_period

    @implements("DSP-2")
    def is_available(self, avail: int) -> bool:
        """DSP-2: a remote dispute's candidate is available with more than 2/3 of the pieces."""
        return is_more_than_two_thirds(avail.bit_count(), self.params.n_validators)

    @implements("DSP-3")
    def is_availability_timed_out(self, age: int) -> bool:
        """DSP-3: the availability phase of a remote dispute times out."""
        return age >= self.params.availability_timeout

    @implements("DSP-5")
    def compute_outcome(self, r: Record) -> int:
        """DSP-5: the escalation rule of the selected reading."""
        attesters = (r.votes_for | r.votes_against).bit_count()
        return dispute_outcome(r.votes_for.bit_count(), r.votes_against.bit_count(), attesters,
                               self.params.n_validators, self.params.dispute_rule)

    @implements("DSP-6")
    def is_window_over(self, age: int) -> bool:
        """DSP-6: the record stays open ``window`` blocks after its outcome."""
        return age > self.params.window

    @implements("SLS-1", "SLS-4", "DSP-3")
    def compute_closing(self, s: DisputesState, r: Record) -> Record:
        """SLS-1 .. SLS-4, DSP-3: slashes, fees and penalties when a record closes."""
        n = self.params.n_validators
        everyone = (1 << n) - 1
        if r.phase == Phase.AVAILABILITY:
            # DSP-3: never available: the disputing validators are slashed, and the
            # validity-voters pay the distraction fee (no supermajority was possible)
            fee = r.votes_for if self.params.dispute_rule == "seed" else 0
            return _evolve(r, phase=Phase.CLOSED, slashed=r.slashed | r.votes_against, fee=r.fee | fee)
        slash_for, slash_against = losing_side(r.outcome)
        slashed = (r.votes_for if slash_for else 0) | (r.votes_against if slash_against else 0)
        fee = penalized = 0
        if has_supermajority_either_way(r.votes_for.bit_count(), r.votes_against.bit_count(), n):
            penalized = everyone & ~(r.votes_for | r.votes_against)
        elif self.params.dispute_rule == "seed":
            fee = r.votes_for
        return _evolve(r, phase=Phase.CLOSED, slashed=r.slashed | slashed, fee=r.fee | fee,
                       penalized=r.penalized | penalized)

    @implements("DSP-7")
    def compute_revert(self, s: DisputesState, fork: int) -> int:
        """DSP-7: the blocks abandoned when X is found invalid on ``fork``: its inclusion
        block and every descendant (the chain reverts to the last ancestor before it)."""
        inc = self.get_inclusion_block(s, fork)
        if inc is None:
            return 0
        return sum(1 << b for b in Block if (s.built >> b) & 1 and self.is_on_chain(inc, b))

    @implements("DSP-7", "DSP-13")
    def is_revert_at_conclusion(self) -> bool:
        """DSP-13: the sdk timing of the revert and the blacklisting applies (``reading=sdk``): the
        fork reverts when :meth:`is_freeze_triggered` says so, X is blacklisted when a dispute
        concludes invalid, and the close of the window adds nothing; ``False`` under the seed
        reading, where both wait for the window to close (DSP-7, DSP-8). (The name predates the
        sdk trigger at more than f against; it is kept for callers of the machine.)"""
        return is_sdk(self.params)

    @implements("DSP-13")
    def is_freeze_triggered(self, against_before: int, against_after: int, included_now: bool = False) -> bool:
        """DSP-13 (reading=sdk) on a fork that includes X, given the counts of votes against X
        before and after one block's statements (or X's inclusion, ``included_now``): the
        machine's own parameters; :func:`is_sdk_freeze_triggered` is the rule."""
        return is_sdk_freeze_triggered(self.params.n_validators, against_before, against_after, included_now)

    def _conclude(self, s: DisputesState, fork: int, before: Record, r: Record) -> DisputesState:
        """Store ``r`` on ``fork``; under DSP-13, against votes newly above f on a fork that
        includes X revert it, and a newly invalid outcome blacklists X, at once."""
        s = _evolve(s, records=_set(s.records, fork, r))
        if not self.is_revert_at_conclusion():
            return s
        if self.has_x(s, fork) and self.is_freeze_triggered(before.votes_against.bit_count(),
                                                             r.votes_against.bit_count()):
            s = _evolve(s, reverted=s.reverted | self.compute_revert(s, fork))
        if r.outcome in INVALID_OUTCOMES and before.outcome not in INVALID_OUTCOMES:
            s = _evolve(s, blacklisted=True)
        return s

    @implements("DSP-7", "ESC-5")
    def may_build_on(self, s: DisputesState, parent: Block) -> bool:
        """DSP-7, ESC-5: nobody builds on an abandoned block or on a chain whose X was
        found invalid."""
        if (s.reverted >> parent) & 1:
            return False
        fork = self.get_fork(parent)
        if fork is None:
            return True
        inc = self.get_inclusion_block(s, fork)
        return not (inc is not None and self.is_on_chain(inc, parent)
                    and s.records[fork].outcome in INVALID_OUTCOMES)

    @implements("DSP-8")
    def may_include(self, s: DisputesState) -> bool:
        """DSP-8: a blacklisted candidate is never included again."""
        return not s.blacklisted

    @implements("DSP-10")
    def is_approved(self, r: Record) -> bool:
        """DSP-10: X is approved on a fork when more than f validators attested validity and
        nobody disputes it, or its dispute concluded valid."""
        if r.phase == Phase.NONE:
            return r.votes_against == 0 and is_byzantine_exceeded(r.votes_for.bit_count(), self.params.n_validators)
        return r.phase in (Phase.CONCLUDED, Phase.CLOSED) and r.outcome == OUTCOME_VALID

    def is_approval_complete(self, r: Record) -> bool:
        """Exploration bound: approval checking assigns only enough checkers to approve
        (more than f); the other validators vote only if a dispute opens."""
        return is_byzantine_exceeded(r.votes_for.bit_count(), self.params.n_validators)

    @implements("DSP-10")
    def may_finalize(self, s: DisputesState, b: Block) -> bool:
        """DSP-10: GRANDPA finalizes a block only when every candidate executed on its
        chain is approved (Y is approved with X), never during a dispute on it."""
        fork = self.get_fork(b)
        inc = self.get_inclusion_block(s, fork)
        if inc is None or not self.is_on_chain(inc, b):
            return True
        return self.is_approved(s.records[fork])

    @implements("DSP-4")
    def is_rollup_source(self, r: Record) -> bool:
        """DSP-4: a record with an outcome can be rolled up onto other forks."""
        return r.outcome != OUTCOME_NONE

    # -- the environment (DSP-12) --------------------------------------------------------------------
    def is_accepting(self, r: Record) -> bool:
        return r.phase in (Phase.OPEN, Phase.CONCLUDED)

    def honest_due(self, s: DisputesState) -> bool:
        """An honest vote is due: an open dispute the honest validator has not voted in (and
        can check), or an availability phase while it holds its piece."""
        ob = self.is_obtainable(s)
        for fork in FORKS:
            r = s.records[fork]
            if self.is_accepting(r) and ob and self.next_honest(s, r.votes_for | r.votes_against) is not None:
                return True
            if r.phase == Phase.AVAILABILITY and ob and self.next_honest(s, r.avail) is not None:
                return True
        return False

    @implements("DSP-11")
    def evidence_due(self, s: DisputesState) -> bool:
        """DSP-11: a statement on one fork is missing on another fork still accepting votes,
        or a fork without an outcome awaits the roll-up of a concluded dispute."""
        for fork in FORKS:
            r = s.records[fork]
            other = s.records[1 - fork]
            if self.is_accepting(r) and (other.votes_for & ~r.votes_for or other.votes_against & ~r.votes_against):
                return True
            if (self.is_rollup_source(other) and r.outcome == OUTCOME_NONE
                    and self.fork_exists(s, fork) and not self._fork_abandoned(s, fork)):
                return True
        return False

    def _fork_abandoned(self, s: DisputesState, fork: int) -> bool:
        return bool(s.reverted & (1 << FORK_BLOCKS[fork][0]))

    def may_time_pass(self, s: DisputesState) -> bool:
        return not self.honest_due(s) and not self.evidence_due(s)

    # -- machine ------------------------------------------------------------------------------------------
    def init(self):
        yield DisputesState(truth_valid=True, byzantine=False)
        yield DisputesState(truth_valid=True, byzantine=True)
        yield DisputesState(truth_valid=False, byzantine=True)

    def actions(self, s: DisputesState):
        p = self.params
        byz = p.byzantine
        for b in (Block.A1, Block.A2, Block.B1, Block.B2):
            if b == Block.B2 and not s.x_on_b:
                continue  # exploration bound: fork B grows to depth two only when it executes X
            if not (s.built >> b) & 1 and (s.built >> PARENT[b]) & 1:
                if b == Block.B1:
                    yield Build(b, False)
                    yield Build(b, True)
                else:
                    yield Build(b, b == Block.A1)
        for fork in FORKS:
            r = s.records[fork]
            nh = self.next_honest(s, r.votes_for | r.votes_against)
            if nh is not None and not (r.phase == Phase.NONE and self.is_approval_complete(r)):
                yield Vote(fork, nh, self.honest_side(s))
            if s.byzantine:
                for side in Side:
                    if not ((r.votes_for if side == Side.VALID else r.votes_against) >> byz) & 1:
                        yield Vote(fork, byz, side)
            if r.phase == Phase.NONE and not self.has_x(s, fork) and self.fork_exists(s, fork):
                if nh is not None and not s.truth_valid:
                    yield Dispute(fork, nh)
                if s.byzantine:
                    yield Dispute(fork, byz)
            if r.phase == Phase.AVAILABILITY:
                nha = self.next_honest(s, r.avail)
                if nha is not None:
                    yield AvailabilityVote(fork, nha)
                if s.byzantine and not (r.avail >> byz) & 1:
                    yield AvailabilityVote(fork, byz)
            if self.is_rollup_source(s.records[1 - fork]) and r.outcome == OUTCOME_NONE:
                yield Rollup(fork, 1 - fork)
        for b in (Block.A1, Block.A2, Block.B1, Block.B2):
            if (s.built >> b) & 1 and b != s.finalized and self.is_on_chain(s.finalized, b):
                yield Finalize(b)
        yield Tick()

    # -- transitions -----------------------------------------------------------------------------------------
    def process_build(self, s: DisputesState, a: Build) -> DisputesState:
        b = a.block
        require(not (s.built >> b) & 1 and (s.built >> PARENT[b]) & 1, "DSP-7", f"block {b.name} cannot be built")
        require(self.may_build_on(s, PARENT[b]), "DSP-7", f"{PARENT[b].name} is abandoned or on an invalid chain")
        with_x = a.with_x or b == Block.A1
        if with_x:
            require(self.may_include(s), "DSP-8", "X is blacklisted")
        s = _evolve(s, built=s.built | (1 << b))
        if b == Block.A1:
            s = _evolve(s, incl_age=_set(s.incl_age, 0, 0))
        if b == Block.B1 and with_x:
            s = _evolve(s, x_on_b=True, incl_age=_set(s.incl_age, 1, 0))
        if (b == Block.A1 or (b == Block.B1 and with_x)) and self.is_revert_at_conclusion():
            # DSP-13, note_included: X included while its dispute on this chain has a
            # supermajority against (no fork of the model has a record before X's inclusion)
            fork = self.get_fork(b)
            if self.is_freeze_triggered(0, s.records[fork].votes_against.bit_count(), included_now=True):
                s = _evolve(s, reverted=s.reverted | self.compute_revert(s, fork))
        return s

    def _check_voter(self, s: DisputesState, v: int, side: Side) -> None:
        p = self.params
        require(0 <= v < p.n_validators, "DSP-9", f"no validator {v}")
        if (self.get_honest(s) >> v) & 1:
            require(side == self.honest_side(s) and self.is_obtainable(s), "DSP-12",
                    f"honest validator {v} votes what it checked")
        else:
            require(s.byzantine and v == p.byzantine, "DSP-12", f"validator {v} is honest")

    def _with_vote(self, r: Record, v: int, side: Side) -> Record:
        if side == Side.VALID:
            return _evolve(r, votes_for=r.votes_for | (1 << v))
        return _evolve(r, votes_against=r.votes_against | (1 << v))

    def _decide(self, r: Record) -> Record:
        if r.phase in (Phase.OPEN, Phase.CONCLUDED):
            outcome = self.compute_outcome(r)
            if r.phase == Phase.OPEN and outcome != OUTCOME_NONE:
                return _evolve(r, phase=Phase.CONCLUDED, outcome=outcome, age=0)
            if r.phase == Phase.CONCLUDED:
                return _evolve(r, outcome=outcome)
        return r

    def process_vote(self, s: DisputesState, a: Vote) -> DisputesState:
        self._check_voter(s, a.validator, a.side)
        r = s.records[a.fork]
        bit = 1 << a.validator
        require(not ((r.votes_for if a.side == Side.VALID else r.votes_against) & bit), "DSP-5",
                f"validator {a.validator} already voted {a.side.name}")
        if r.phase == Phase.NONE:
            require(self.has_x(s, a.fork), "DSP-2", "X is not on this fork: start a remote dispute")
            require(not self._fork_abandoned(s, a.fork), "DSP-7", "the fork is abandoned")
            r = self._with_vote(r, a.validator, a.side)
            if a.side == Side.INVALID:
                require(self.is_in_acceptance_period(s, a.fork), "DSP-1", "X is past its acceptance period")
                r = _evolve(r, phase=Phase.OPEN, kind=Kind.LOCAL,
                                 votes_for=r.votes_for | self.get_backers(s), age=0)
                r = self._decide(r)
            return self._conclude(s, a.fork, s.records[a.fork], r)
        require(self.is_accepting(r), "DSP-6", f"the record is {r.phase.name}")
        return self._conclude(s, a.fork, r, self._decide(self._with_vote(r, a.validator, a.side)))

    def process_dispute(self, s: DisputesState, a: Dispute) -> DisputesState:
        self._check_voter(s, a.validator, Side.INVALID)
        require(self.fork_exists(s, a.fork) and not self.has_x(s, a.fork), "DSP-2",
                "a remote dispute goes to an existing fork that does not include X")
        require(s.records[a.fork].phase == Phase.NONE, "DSP-2", "the fork already has a dispute on X")
        r = Record(phase=Phase.AVAILABILITY, kind=Kind.REMOTE, votes_for=self.get_backers(s),
                   votes_against=1 << a.validator)
        return _evolve(s, records=_set(s.records, a.fork, r))

    def process_availability_vote(self, s: DisputesState, a: AvailabilityVote) -> DisputesState:
        r = s.records[a.fork]
        require(r.phase == Phase.AVAILABILITY, "DSP-2", "no availability phase on this fork")
        v = a.validator
        if (self.get_honest(s) >> v) & 1:
            require(self.is_obtainable(s), "DSP-2", f"honest validator {v} holds no piece of X")
        else:
            require(s.byzantine and v == self.params.byzantine, "DSP-2", f"validator {v} is honest")
        require(not (r.avail >> v) & 1, "DSP-2", f"validator {v} already attested its piece")
        r = _evolve(r, avail=r.avail | (1 << v))
        if self.is_available(r.avail):
            r = self._decide(_evolve(r, phase=Phase.OPEN, age=0))
        return self._conclude(s, a.fork, s.records[a.fork], r)

    def process_rollup(self, s: DisputesState, a: Rollup) -> DisputesState:
        src = s.records[a.source]
        require(a.fork != a.source and self.is_rollup_source(src), "DSP-4", "no concluded dispute to roll up")
        r = s.records[a.fork]
        require(r.outcome == OUTCOME_NONE, "DSP-4", "the fork has an outcome already")
        require(self.fork_exists(s, a.fork) and not self._fork_abandoned(s, a.fork), "DSP-4", "no live fork")
        # slashes already applied on this fork (a remote dispute that timed out) stay
        r = Record(phase=Phase.OPEN, kind=Kind.ROLLUP, votes_for=r.votes_for | src.votes_for,
                   votes_against=r.votes_against | src.votes_against,
                   slashed=r.slashed, fee=r.fee, penalized=r.penalized)
        return self._conclude(s, a.fork, s.records[a.fork], self._decide(r))

    def process_finalize(self, s: DisputesState, a: Finalize) -> DisputesState:
        b = a.block
        require((s.built >> b) & 1 and not (s.reverted >> b) & 1, "DSP-10", f"{b.name} is not a live block")
        require(b != s.finalized and self.is_on_chain(s.finalized, b), "DSP-10", f"{b.name} does not extend finality")
        require(self.may_finalize(s, b), "DSP-10", f"a candidate on {b.name}'s chain is not approved")
        return _evolve(s, finalized=b)

    def process_tick(self, s: DisputesState, a: Tick) -> DisputesState:
        require(self.may_time_pass(s), "DSP-12", "votes or evidence are still due")
        records = list(s.records)
        reverted, blacklisted = s.reverted, s.blacklisted
        for fork in FORKS:
            r = records[fork]
            if r.phase == Phase.AVAILABILITY:
                r = _evolve(r, age=r.age + 1)
                if self.is_availability_timed_out(r.age):
                    r = self.compute_closing(s, r)
            elif r.phase == Phase.CONCLUDED:
                r = _evolve(r, age=r.age + 1)
                if self.is_window_over(r.age):
                    r = self.compute_closing(s, r)
                    if r.outcome in INVALID_OUTCOMES and not self.is_revert_at_conclusion():
                        # DSP-7, DSP-8: the revert signal, with X's blacklisting (under DSP-13
                        # both happened before the window closed)
                        reverted |= self.compute_revert(s, fork)
                        blacklisted = True
            records[fork] = r
        cap = self.params.acceptance_period
        incl_age = tuple(a if a < 0 else min(a + 1, cap) for a in s.incl_age)
        return _evolve(s, records=tuple(records), reverted=reverted, blacklisted=blacklisted, incl_age=incl_age)
