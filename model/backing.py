"""Candidate backing: [IG §2.6.3] (Candidate Backing subsystem), [AnV §1.4] and [IG §2.3].

One Candidate Backing Job: the work of one validator group for one relay parent. The
collators' candidates are fixed at the start (each valid or invalid: the ground
truth), and the group's validators issue the signed statements ``Seconded``,
``Valid`` and ``Invalid``. Every statement is imported into the job's statement table
(the local node's view), which checks it (BCK-1, BCK-9, BCK-10), detects double votes
and reports them (BCK-6), tracks which candidates are backable under the selected
threshold (BCK-7, ``BackingConfig.backing_threshold``) and raises a dispute on a
primary-validation disagreement (BCK-8).

Honest validators follow the node's rules: they second at most one candidate per
relay parent (BCK-2), never one they already signed ``Valid`` for (BCK-3), and state
what validation finds (BCK-4, BCK-5). Byzantine validators (the last ``byzantine`` of
the group) sign anything; their statements go through the same import checks.

Rules BCK-1 .. BCK-10 of ``spec/backing.md``.
"""

from __future__ import annotations

import enum

import attrs

from .config import ConfigError, check_choice_field, check_int_fields
from .readings import check_reading
from .core import Machine, register_machine, require
from .rules import implements
from .thresholds import BACKING_THRESHOLDS, is_backable

__all__ = [
    "Kind",
    "BackingConfig",
    "BACKING_PRESETS",
    "BackingState",
    "Second",
    "Validate",
    "Statement",
    "StopWork",
    "BackingMachine",
    "statement_bit",
    "has_double_vote",
]


class Kind(enum.IntEnum):
    SECONDED = 0
    VALID = 1
    INVALID = 2


def statement_bit(kind: Kind, candidate: int, n_candidates: int) -> int:
    """The bit of a validator's statement set that records ``kind(candidate)``."""
    return 1 << (int(kind) * n_candidates + candidate)


@attrs.frozen
class BackingConfig:
    """Parameters of the ``backing`` machine (``spec/backing.md``).

    The model's forged statement names validator 0 and is signed by the group's last
    member, so a group has at least 2 validators; ``group_size`` is also the index of
    the outsider (a validator of the session outside the group).
    """

    name: str = "custom"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    #: validators of the group assigned to the para (indices 0 .. group_size - 1)
    group_size: int = 3
    #: how many of them are byzantine (the last ones)
    byzantine: int = 1
    #: candidates put forward for the relay parent
    n_candidates: int = 2
    #: which reading of "enough valid statements" applies (decision INC-D1)
    backing_threshold: str = "majority"
    #: the least number of validity statements under the ``sdk`` reading
    minimum_backing_votes: int = 2

    @property
    def outsider(self) -> int:
        """A validator of the session that is not in the group."""
        return self.group_size

    def is_honest(self, v: int) -> bool:
        return 0 <= v < self.group_size - self.byzantine

    def validate(self) -> "BackingConfig":
        check_int_fields(self, {"group_size": 2, "byzantine": 0, "n_candidates": 1, "minimum_backing_votes": 1})
        if self.byzantine > self.group_size:
            raise ConfigError("byzantine", "CFG-1", f"{self.byzantine} exceeds the group size {self.group_size}")
        check_choice_field(self, "backing_threshold", BACKING_THRESHOLDS)
        default_votes = attrs.fields(BackingConfig).minimum_backing_votes.default
        if self.backing_threshold != "sdk" and self.minimum_backing_votes != default_votes:
            raise ConfigError("minimum_backing_votes", "CFG-1",
                              f"only the sdk backing threshold reads it (backing_threshold is "
                              f"{self.backing_threshold!r})")
        check_reading(self)
        return self


#: named parameter sets: ``tiny`` (a group of 3, one byzantine) is the one ``make check``
#: explores; ``trio`` has a group of 2 (one honest, one byzantine)
BACKING_PRESETS: dict[str, BackingConfig] = {
    p.name: p.validate() for p in (
        BackingConfig(name="tiny", group_size=3),
        BackingConfig(name="trio", group_size=2),
    )
}


@attrs.frozen(cache_hash=True)
class BackingState:
    #: ground truth: bit c set when candidate c is valid
    truth: int
    #: per group validator: the statements imported from it (see :func:`statement_bit`)
    statements: tuple[int, ...]
    #: the job is live (no ``StopWork`` for its relay parent yet)
    live: bool = True
    #: validators reported for a double vote (BCK-6)
    reported: int = 0
    #: candidates with a primary-validation disagreement sent to the dispute path (BCK-8)
    disputed: int = 0
    #: candidates backable in this job (BCK-7)
    backable: int = 0


@attrs.frozen
class Second:
    """The local node of honest ``validator`` is asked to second ``candidate`` (the
    collator handed it over and validation succeeded): ``CandidateBackingSubsystemMessage::Second``."""

    validator: int
    candidate: int


@attrs.frozen
class Validate:
    """Honest ``validator`` validates a seconded ``candidate`` and signs the result."""

    validator: int
    candidate: int


@attrs.frozen
class Statement:
    """A signed statement arriving from the network, as any validator (byzantine ones
    included) may sign it; ``signer`` is whose key signed it (signatures are abstract,
    so a forged statement has ``signer != validator``)."""

    validator: int
    kind: Kind
    candidate: int
    signer: int


@attrs.frozen
class StopWork:
    """``OverseerSignal::StopWork(relay_parent)``: the job ceases."""


@implements("BCK-6")
def has_double_vote(stmts: int, n_candidates: int) -> bool:
    """BCK-6: the statement set holds a double vote: two candidates seconded, or, for one
    candidate, ``Seconded`` and ``Valid``, or a validity statement and ``Invalid``."""
    c = n_candidates
    mask = (1 << c) - 1
    seconded = stmts & mask
    valid = (stmts >> c) & mask
    invalid = (stmts >> (2 * c)) & mask
    return seconded.bit_count() > 1 or (seconded & valid) != 0 or ((seconded | valid) & invalid) != 0


@register_machine
class BackingMachine(Machine):
    """A Candidate Backing Job: statements, double votes, backability and disagreement."""

    name = "backing"
    vector_suite = "node"
    area = "backing"
    description = "candidate backing statements, double votes and backability ([IG §2.6.3], [AnV §1.4])"

    Params = BackingConfig
    presets = BACKING_PRESETS
    default_preset = "tiny"

    def __init__(self, params: BackingConfig):
        super().__init__(params)

    # -- accessors ------------------------------------------------------------------------------
    def get_bit(self, kind: Kind, candidate: int) -> int:
        return statement_bit(kind, candidate, self.params.n_candidates)

    def get_seconded(self, stmts: int) -> int:
        return stmts & ((1 << self.params.n_candidates) - 1)

    def get_supporters(self, s: BackingState, candidate: int) -> int:
        """Validators (bitmask) with a validity statement (``Seconded`` or ``Valid``) for the candidate."""
        sec, val = self.get_bit(Kind.SECONDED, candidate), self.get_bit(Kind.VALID, candidate)
        return sum(1 << v for v, st in enumerate(s.statements) if st & (sec | val))

    def get_objectors(self, s: BackingState, candidate: int) -> int:
        inv = self.get_bit(Kind.INVALID, candidate)
        return sum(1 << v for v, st in enumerate(s.statements) if st & inv)

    def is_seconded(self, s: BackingState, candidate: int) -> bool:
        sec = self.get_bit(Kind.SECONDED, candidate)
        return any(st & sec for st in s.statements)

    # -- rules ----------------------------------------------------------------------------------
    @implements("BCK-1")
    def check_signature(self, st: Statement) -> None:
        """BCK-1: a statement is signed by the validator it names, a member of the group."""
        require(st.signer == st.validator, "BCK-1",
                f"statement signed by {st.signer} claims validator {st.validator}")
        require(0 <= st.validator < self.params.group_size, "BCK-1",
                f"validator {st.validator} is not in the group assigned to the para")
        require(0 <= st.candidate < self.params.n_candidates, "BCK-1", f"no candidate {st.candidate}")

    @implements("BCK-2", "BCK-3")
    def may_second(self, stmts: int, candidate: int) -> bool:
        """BCK-2, BCK-3: second only if no other candidate is seconded and no ``Valid``
        statement was signed for this one."""
        others = self.get_seconded(stmts) & ~(1 << candidate)
        return others == 0 and not stmts & self.get_bit(Kind.VALID, candidate)

    @implements("BCK-4", "BCK-5")
    def compute_validation(self, s: BackingState, candidate: int) -> Kind:
        """BCK-4, BCK-5: an honest validator signs what validation finds."""
        return Kind.VALID if (s.truth >> candidate) & 1 else Kind.INVALID

    @implements("BCK-6")
    def is_double_vote(self, stmts: int) -> bool:
        """BCK-6: see :func:`has_double_vote`."""
        return has_double_vote(stmts, self.params.n_candidates)

    @implements("BCK-6")
    def compute_report(self, validator: int) -> int:
        """BCK-6: the misbehaviour report names the double-voting validator."""
        return 1 << validator

    @implements("BCK-7")
    def is_backable(self, supporters: int) -> bool:
        """BCK-7: enough distinct validity statements under the selected threshold."""
        p = self.params
        return is_backable(supporters.bit_count(), p.group_size, p.backing_threshold, p.minimum_backing_votes)

    @implements("BCK-8")
    def is_disagreement(self, supporters: int, objectors: int) -> bool:
        """BCK-8: a validity and an invalidity statement on the same candidate."""
        return supporters != 0 and objectors != 0

    @implements("BCK-9")
    def is_known(self, s: BackingState, kind: Kind, candidate: int) -> bool:
        """BCK-9: ``Valid``/``Invalid`` statements only for a candidate already seconded."""
        return kind == Kind.SECONDED or self.is_seconded(s, candidate)

    @implements("BCK-10")
    def accepts_statements(self, s: BackingState) -> bool:
        """BCK-10: statements are forwarded only to a live job."""
        return s.live

    # -- machine ------------------------------------------------------------------------------------
    def init(self):
        p = self.params
        for truth in range(1 << p.n_candidates):
            yield BackingState(truth=truth, statements=(0,) * p.group_size)

    def actions(self, s: BackingState):
        p = self.params
        for v in range(p.group_size):
            for c in range(p.n_candidates):
                if p.is_honest(v):
                    if not s.live:
                        continue  # the node has no job to act in; statements still arrive (BCK-10)
                    st = s.statements[v]
                    if not st & self.get_bit(Kind.SECONDED, c):
                        yield Second(v, c)
                    if not st & (self.get_bit(Kind.VALID, c) | self.get_bit(Kind.INVALID, c)):
                        yield Validate(v, c)
                else:
                    for k in Kind:
                        if not s.statements[v] & self.get_bit(k, c):
                            yield Statement(v, k, c, v)
        # BCK-1: one forged statement and one from outside the group
        yield Statement(0, Kind.SECONDED, 0, p.group_size - 1)
        yield Statement(p.outsider, Kind.SECONDED, 0, p.outsider)
        if s.live:
            yield StopWork()

    # -- node side of an honest validator ------------------------------------------------------------
    def process_second(self, s: BackingState, a: Second) -> BackingState:
        v, c = a.validator, a.candidate
        require(self.params.is_honest(v), "BCK-2", f"validator {v}'s node is not modelled")
        stmts = s.statements[v]
        require(not stmts & self.get_bit(Kind.SECONDED, c), "BCK-2", f"validator {v} already seconded {c}")
        require(self.compute_validation(s, c) == Kind.VALID, "BCK-4", f"candidate {c} fails validation")
        require(self.may_second(stmts, c), "BCK-2",
                f"validator {v} already seconded another candidate or signed Valid for {c}")
        return self.process_statement(s, Statement(v, Kind.SECONDED, c, v))

    def process_validate(self, s: BackingState, a: Validate) -> BackingState:
        v, c = a.validator, a.candidate
        require(self.params.is_honest(v), "BCK-4", f"validator {v}'s node is not modelled")
        stmts = s.statements[v]
        stated = self.get_bit(Kind.SECONDED, c) | self.get_bit(Kind.VALID, c) | self.get_bit(Kind.INVALID, c)
        require(not stmts & stated, "BCK-4", f"validator {v} already stated on candidate {c}")
        require(self.is_seconded(s, c), "BCK-9", f"candidate {c} has not been seconded")
        return self.process_statement(s, Statement(v, self.compute_validation(s, c), c, v))

    # -- the job's statement table ----------------------------------------------------------------------
    def process_statement(self, s: BackingState, st: Statement) -> BackingState:
        self.check_signature(st)
        require(self.accepts_statements(s), "BCK-10", "no live job for the relay parent")
        require(self.is_known(s, st.kind, st.candidate), "BCK-9",
                f"{st.kind.name} statement for candidate {st.candidate}, which nobody seconded")
        bit = self.get_bit(st.kind, st.candidate)
        stmts = s.statements[st.validator] | bit
        statements = s.statements[:st.validator] + (stmts,) + s.statements[st.validator + 1:]
        s = attrs.evolve(s, statements=statements)
        reported = s.reported | self.compute_report(st.validator) if self.is_double_vote(stmts) else s.reported
        backable = s.backable
        disputed = s.disputed
        c = st.candidate
        sup, obj = self.get_supporters(s, c), self.get_objectors(s, c)
        if self.is_backable(sup):
            backable |= 1 << c
        if self.is_disagreement(sup, obj):
            disputed |= 1 << c
        return attrs.evolve(s, reported=reported, backable=backable, disputed=disputed)

    def process_stop_work(self, s: BackingState, a: StopWork) -> BackingState:
        require(s.live, "BCK-10", "the job already stopped")
        return attrs.evolve(s, live=False)
