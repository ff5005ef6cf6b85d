"""Availability bitfields: [AnV §1.7] (Algorithm 10) and [IG §2.5.6] ``process_bitfields``.

Rules AV-1 .. AV-10 of ``spec/availability.md``. The bitfield checks and the
availability rule are plain functions here; both the ``availability`` machine below
and the ``inclusion`` machine (``model.inclusion``) call them, so each rule has one
implementation.
"""

from __future__ import annotations

import enum
from typing import Any, Iterator

import attrs

from .core import Machine, Rejected, register_machine, require
from .logic import And, Not, Or, and_then, is_array, ite, max_, popcount
from .rules import implements
from .space import Space, chain, submask
from .symmetry import Symmetry
from .thresholds import FREE_CORE_BIT, is_more_than_two_thirds

__all__ = [
    "Status",
    "SignedBitfield",
    "SignBitfield",
    "EndBlock",
    "ParaAvailability",
    "AvailabilityState",
    "AvailabilityMachine",
    "check_bitfield",
    "bitfield_guards",
    "is_bitfield_counted",
    "counted_bits",
    "FREE_CORE_BIT",
    "sanitize_bitfields",
    "bitfield_actions",
    "bitfield_action_space",
    "bitfield_explored",
]


class Status(enum.IntEnum):
    """Availability status of a para's latest candidate ([AnV §1.7])."""

    NO_CANDIDATE = 0
    TO_BE_DETERMINED = 1
    AVAILABLE = 2
    UNAVAILABLE = 3


@attrs.frozen
class SignBitfield:
    """Validator ``validator`` submits ``Sign(bitfield, block)`` in the current block.

    ``bits`` has one bit per core (bit i for core i); ``length`` is the declared
    length of the bit vector; ``signer`` is whose key produced the signature, so a
    forged bitfield is one with ``signer != validator`` (signatures are abstract).
    """

    #: the validator's index in the session's validator set, from 0
    validator: int
    #: bitmask over cores: bit i (value 2**i) set = the validator holds its erasure piece of core i's
    #: candidate (an input may carry a bit at or beyond ``length``: that is an AV-2 rejection)
    bits: int
    #: the bit vector's declared length (must be the number of cores, AV-2)
    length: int
    #: the validator index whose key made the signature; ``signer != validator`` stands for a bad
    #: signature (AV-4); a client's harness signs with ``signer``'s key, or fakes a failed check
    signer: int


#: Alias: the signed bitfield is the action.
SignedBitfield = SignBitfield


@implements("AV-1", "AV-4")
def bitfield_guards(bf: SignBitfield, n_validators: int, n_cores: int, next_validator: Any) -> list:
    """The structural checks of ``process_bitfields`` (AV-1 .. AV-4) as guards: a list of
    ``(condition, rule, reason)``, in the order they are checked.

    ``next_validator`` is one more than the index of the last validator whose bitfield
    this block already carries: bitfields come in strictly ascending validator order,
    which is how a duplicate is detected (decision AV-D3). It may be a whole frontier's
    values (a numpy array, ``checker.vector``); the bitfield is one input.
    """
    return [
        (0 <= bf.validator < n_validators, "AV-1",
         f"validator index {bf.validator} is not in the session's {n_validators} validators"),
        (bf.length == n_cores, "AV-2", f"bitfield has {bf.length} bits, expected one per core ({n_cores})"),
        (0 <= bf.bits < (1 << n_cores), "AV-2", "bitfield has bits beyond its length"),
        (bf.validator >= next_validator, "AV-3",
         f"validator {bf.validator}'s bitfield is a duplicate or out of order in this block"),
        (bf.signer == bf.validator, "AV-4", f"signature by {bf.signer} is not validator {bf.validator}'s"),
    ]


@implements("AV-1", "AV-4")
def check_bitfield(bf: SignBitfield, n_validators: int, n_cores: int, next_validator: int) -> None:
    """The structural checks of ``process_bitfields`` (AV-1 .. AV-4, :func:`bitfield_guards`);
    raises Rejected."""
    for cond, rule, reason in bitfield_guards(bf, n_validators, n_cores, next_validator):
        require(cond, rule, reason)


@implements("AV-5")
def counted_bits(bf: SignBitfield, live: int, free_core_bit: str) -> int:
    """AV-5: the bits of a (well-formed) bitfield that count as votes.

    ``live`` is the bitmask of the cores whose candidate is to be determined. Under
    ``disregard`` a bitfield with a 1 bit for any other core counts for nothing; under
    ``bit`` only that bit is ignored (polkadot-sdk's
    ``update_pending_availability_and_get_freed_cores`` skips a bit whose core holds no
    candidate); under ``reject`` the block is invalid (decision AV-D2)."""
    if free_core_bit == "bit":
        return bf.bits & live
    return ite(is_bitfield_counted(bf, live, free_core_bit), bf.bits, 0)


@implements("INC-31", "AV-1", "AV-2", "AV-3", "AV-4")
def sanitize_bitfields(bitfields: tuple[SignBitfield, ...], n_validators: int, n_cores: int,
                       check=None) -> tuple[SignBitfield, ...]:
    """INC-31 (the sdk reading of INC-20; polkadot-sdk ``sanitize_bitfields``): the bitfields
    that pass the AV-1 .. AV-4 checks, in order; each other one is dropped, not the block.
    A kept bitfield's validator index is the one the next must exceed, so of two bitfields
    of one validator the first is kept (decision INC-D27). ``check``: the AV-1 .. AV-4
    checks (default :func:`check_bitfield`; a machine passes its own rule method)."""
    check = check_bitfield if check is None else check
    kept = []
    next_validator = 0
    for bf in bitfields:
        try:
            check(bf, n_validators, n_cores, next_validator)
        except Rejected:
            continue
        kept.append(bf)
        next_validator = bf.validator + 1
    return tuple(kept)


@implements("AV-5")
def is_bitfield_counted(bf: SignBitfield, live: int, free_core_bit: str) -> bool:
    """AV-5: whether a (well-formed) bitfield's bits count.

    ``live`` is the bitmask of the cores whose candidate is to be determined (pending
    availability). A bitfield with a 1 bit for any other core is disregarded as a
    whole ([IG §2.5.6] step 4), or makes the block invalid when ``free_core_bit``
    is ``"reject"`` (polkadot-sdk; decision AV-D2).
    """
    free = bf.bits & ~live
    if is_array(free):  # a frontier: under ``reject`` the machine's guards refused the free bits
        return free == 0
    if free == 0:
        return True
    if free_core_bit == "reject":
        i = (free & -free).bit_length() - 1
        raise Rejected("AV-5", f"bit {i} set for core {i}, which has no candidate pending availability")
    return False


def bitfield_actions(n_validators: int, n_cores: int, live_cores: int,
                     next_validator: int) -> Space:
    """The bitfields the explorer tries in one state (a :class:`~paraspec.model.space.Space`:
    at the ``polkadot`` preset they are too many to list).

    Every well-formed bitfield that may come next in the block (each later validator,
    each subset of cores), and one input breaking each structural rule (a duplicate,
    an unknown validator, a wrong length, a forged signature), so the rejections are
    exercised without multiplying the branching factor.
    """
    per = 1 << n_cores
    later = range(next_validator, n_validators)

    def good(k: int) -> SignBitfield:
        v = later[k // per]
        return SignBitfield(v, k % per, n_cores, v)

    bad = []
    if next_validator > 0:  # AV-3: the last validator again
        bad.append(SignBitfield(next_validator - 1, 0, n_cores, next_validator - 1))
    # one of each kind of bad input (AV-1, AV-2, AV-4)
    bad.append(SignBitfield(n_validators, live_cores, n_cores, n_validators))
    bad.append(SignBitfield(0, live_cores, n_cores + 1, 0))
    bad.append(SignBitfield(0, live_cores, n_cores, 1 % n_validators if n_validators > 1 else 1))
    return chain(Space(len(later) * per, good), bad)


def bitfield_action_space(n_validators: int, n_cores: int) -> tuple:
    """Every bitfield :func:`bitfield_actions` may list, in any state (a machine's fixed
    ``action_space``, ``checker.vector``): each validator's bitfield over each subset of cores,
    and the three malformed inputs for each live mask; :func:`bitfield_explored` says which of
    them ``bitfield_actions`` lists in a given state."""
    n, k = n_validators, n_cores
    per = 1 << k
    acts: list[Any] = [SignBitfield(v, b, k, v) for v in range(n) for b in range(per)]
    forger = 1 % n if n > 1 else 1
    for live in range(per):
        acts += [SignBitfield(n, live, k, n), SignBitfield(0, live, k + 1, 0), SignBitfield(0, live, k, forger)]
    return tuple(acts)


def bitfield_explored(a: SignBitfield, n_validators: int, n_cores: int, live: Any, signed: Any) -> list:
    """Whether :func:`bitfield_actions` (``live``, ``signed``) lists the input ``a`` of
    :func:`bitfield_action_space`, as a guard with rule ``None`` (the search's choice of inputs,
    not a protocol rule); ``live`` and ``signed`` may be a frontier's arrays."""
    if a.validator < n_validators and a.length == n_cores and a.signer == a.validator:
        # a later validator's bitfield, or the last validator's again (empty): the AV-3 input
        return [(Or(a.validator >= signed, And(a.validator == signed - 1, a.bits == 0)),
                 None, "not tried after this block's bitfields")]
    return [(live == a.bits, None, "a malformed input carries the live mask")]


@attrs.frozen
class EndBlock:
    """Close the current relay-chain block (Algorithm 10 steps 2–5).

    ``note`` is the set (a bitmask over paras) of new candidate receipts included in
    this block, which become "to be determined".
    """

    #: bitmask over paras: bit i (value 2**i) set = a new candidate receipt for para i is included
    note: int = 0


@attrs.frozen
class ParaAvailability:
    #: the availability status of the para's latest candidate, by name: NO_CANDIDATE (free),
    #: TO_BE_DETERMINED (pending availability), AVAILABLE, UNAVAILABLE (timed out); a decided
    #: status lasts one block, the next EndBlock clears it to NO_CANDIDATE
    status: Status = Status.NO_CANDIDATE
    #: bitmask over validators: bit v (value 2**v) set = validator v's bitfield had this candidate's bit
    votes: int = 0
    #: blocks of voting the current candidate has had: 0 when noted; each EndBlock that finds it
    #: TO_BE_DETERMINED adds 1 and then decides (available first, else timed out when age >= t,
    #: ``chain_availability_period``), so it is at most t
    age: int = 0
    #: candidates noted for this para so far, counting from 1: the current one is candidate number
    #: ``noted`` and owns bit ``noted - 1`` of ``enacted`` / ``timed_out``
    noted: int = 0
    #: ghost (no runtime storage): bitmask over this para's candidates, bit k (value 2**k) = the
    #: (k+1)-th candidate noted (bases: ``noted`` counts from 1, bits index from 0) became available
    enacted: int = 0
    #: ghost: the same bitmask for the candidates that timed out (became unavailable)
    timed_out: int = 0


@attrs.frozen(cache_hash=True)
class AvailabilityState:
    #: one entry per para, index i = para i = core i
    paras: tuple[ParaAvailability, ...]
    #: one more than the last validator whose bitfield the current block carries (AV-3), 0 at the
    #: start of a block: the block's bitfields must come in strictly ascending validator order. Not a
    #: runtime storage item: the runtime sees a block's bitfields at once (one inherent) and checks
    #: the same order; a client keeps it in its harness between two sign_bitfield requests
    signed: int = 0


@register_machine
class AvailabilityMachine(Machine):
    """Per-para availability status driven by signed bitfields ([AnV §1.7])."""

    name = "availability"
    vector_suite = "runtime_module"
    area = "availability"
    description = "signed availability bitfields, the >2/3 rule and the timeout ([AnV §1.7], Alg. 10)"
    #: one core per parachain; the timeout ``t``; the AV-D2 reading; the exploration bound
    parameters = ("n_validators", "n_parachains", "chain_availability_period", "free_core_bit",
                  "max_candidates")

    def __init__(self, params):
        super().__init__(params)
        #: AV-D6: the paras (one core each, all configured alike) are interchangeable: no rule
        #: names a para, and every input naming paras is a bitmask over them (a bitfield's bits, a
        #: note), permuted alike. The validators are not (AV-3 orders a block's bitfields by index:
        #: the ``signed`` cursor), so none are declared. ``checker.symmetry`` explores one state per
        #: orbit under ``--symmetry``; a property naming one para is refused there (``symmetric``).
        self.symmetry = Symmetry(para_fields=("paras",), n_paras=params.n_parachains)

    # -- rules (methods, so mutants can override one) -------------------------------
    # Field arithmetic with the helpers of ``model.logic``: each runs on one state (ints: the
    # interpreter and the explicit engine) and on a whole frontier (numpy arrays in the fields:
    # ``checker.vector``), so both engines run this one text.
    @implements("AV-6")
    def is_available(self, votes):
        """AV-6: more than 2/3 of the validators have set the candidate's bit."""
        return is_more_than_two_thirds(popcount(votes), self.config.n_validators)

    @implements("AV-7")
    def is_timed_out(self, age):
        """AV-7: the candidate has had ``t`` blocks of voting and is not available."""
        return age >= self.config.chain_availability_period

    def bitfield_guards(self, state: AvailabilityState, bf: SignBitfield) -> list:
        """AV-1 .. AV-4 (:func:`bitfield_guards`) against the block's bitfields so far."""
        return bitfield_guards(bf, self.config.n_validators, self.config.n_parachains, state.signed)

    @implements("AV-9")
    def counts_bit(self, p: ParaAvailability):
        """AV-9: a bit counts only for a candidate whose status is to be determined."""
        return p.status == Status.TO_BE_DETERMINED

    @implements("AV-10")
    def may_note(self, p: ParaAvailability):
        """AV-10: a new candidate receipt is accepted only for a para with no candidate."""
        return p.status == Status.NO_CANDIDATE

    def free_bits(self, state: AvailabilityState, bf: SignBitfield):
        """AV-5: the bits of ``bf`` set for a para whose bit does not count (AV-9). Under
        ``disregard`` and ``reject`` only whether there is one matters: on one state the first
        is returned alone (the paras after it are not asked)."""
        free = 0
        whole = self.config.free_core_bit != "bit"
        for i, p in enumerate(state.paras):
            if (bf.bits >> i) & 1:
                free = free | ite(self.counts_bit(p), 0, 1 << i)
                if whole and free.__class__ is int and free:
                    break
        return free

    def decide(self, p: ParaAvailability) -> ParaAvailability:
        """Algorithm 10 steps 2-5 for one para at a block's end, before new receipts are
        noted: a decided candidate's record is cleared; one to be determined has had one more
        block of voting and becomes available (AV-6) or else, at the timeout, unavailable (AV-7)."""
        S = Status
        pending = p.status == S.TO_BE_DETERMINED
        decided = Or(p.status == S.AVAILABLE, p.status == S.UNAVAILABLE)
        age = p.age + 1
        serial = 1 << max_(p.noted - 1, 0)
        avail = and_then(pending, lambda: self.is_available(p.votes))
        timed = and_then(And(pending, Not(avail)), lambda: self.is_timed_out(age))
        return ParaAvailability(
            status=ite(decided, S.NO_CANDIDATE, ite(avail, S.AVAILABLE, ite(timed, S.UNAVAILABLE, p.status))),
            votes=ite(decided, 0, p.votes), age=ite(decided, 0, ite(pending, age, p.age)), noted=p.noted,
            enacted=ite(avail, p.enacted | serial, p.enacted),
            timed_out=ite(timed, p.timed_out | serial, p.timed_out))

    # -- declarations for proofs (``availability_proofs``) ------------------------------------
    proofs = ".availability_proofs"

    # -- the compact layout and the fixed action space (``checker.vector``) ---------------------
    #: the vectorized engine may run this machine (when its layout fits 63 bits)
    vectorized = True
    state_class = AvailabilityState

    def proof_layout(self):
        """Bits of each field: per para its status, votes (one bit per validator), age (at most
        ``t``), ``noted`` (at most ``max_candidates``) and the two ghost masks (one bit per
        candidate); then ``signed``. Whatever their total (the wide proofs, ``checker.symbolic.wide``)."""
        c = self.config
        mc = c.max_candidates
        per = (("status", 2), ("votes", c.n_validators), ("age", c.chain_availability_period.bit_length()),
               ("noted", mc.bit_length()), ("enacted", mc), ("timed_out", mc))
        return (("paras", per), ("signed", c.n_validators.bit_length()))

    def layout(self):
        """:meth:`proof_layout` for the compact code (``checker.packing``); None when it needs
        more than 63 bits (the ``polkadot`` preset): the engines then fingerprint the state."""
        spec = self.proof_layout()
        (_, per), (_, signed) = spec
        if sum(b for _, b in per) * self.config.n_parachains + signed > 63:
            return None
        return spec

    def action_space(self) -> tuple:
        """Every input :meth:`actions` may try, in any state: the bitfields of
        :func:`bitfield_action_space` and each note mask. :meth:`explored` says which of them
        ``actions`` tries in a given state."""
        c = self.config
        return bitfield_action_space(c.n_validators, c.n_parachains) + tuple(
            EndBlock(note) for note in range(1 << c.n_parachains))

    def action_space_size(self) -> int:
        """How many inputs :meth:`action_space` holds, without building it (``2 ** n_parachains``
        bitfields per validator: at the ``polkadot`` preset no engine can list them)."""
        c = self.config
        per = 1 << c.n_parachains
        return c.n_validators * per + 3 * per + per

    def live_mask(self, state: AvailabilityState):
        """The bitmask of the paras whose candidate is to be determined."""
        live = 0
        for i, p in enumerate(state.paras):
            live = live | ite(p.status == Status.TO_BE_DETERMINED, 1 << i, 0)
        return live

    def explored(self, state: AvailabilityState, a) -> list:
        """Whether :meth:`actions` tries the input ``a`` of :meth:`action_space` in ``state``, as a
        guard with rule ``None`` (the search's choice of inputs, not a protocol rule)."""
        c = self.config
        if isinstance(a, EndBlock):
            # exploration bound (not a protocol rule): each para notes at most max_candidates
            return [(And(*[p.noted < c.max_candidates for i, p in enumerate(state.paras) if (a.note >> i) & 1]),
                     None, "a note beyond max_candidates")]
        return bitfield_explored(a, c.n_validators, c.n_parachains, self.live_mask(state), state.signed)

    def rule_guards(self, state: AvailabilityState, a) -> Iterator[tuple[Any, str, str]]:
        """The conditions an input needs, each with the rule that rejects it otherwise, in the
        order they are checked. A generator: :meth:`step` stops at the first that fails, so the
        later ones are not evaluated (as in a chain of ``require``)."""
        c = self.config
        if isinstance(a, SignBitfield):
            yield from self.bitfield_guards(state, a)
            if c.free_core_bit == "reject":
                free = self.free_bits(state, a)
                first = (free & -free).bit_length() - 1 if free.__class__ is int else "i"
                yield free == 0, "AV-5", f"bit {first} set but para {first} has no candidate to be determined"
        elif isinstance(a, EndBlock):
            note = a.note
            yield 0 <= note < (1 << c.n_parachains), "AV-10", f"note mask {note} names no para"
            for i, p in enumerate(state.paras):
                if (note >> i) & 1:
                    d = self.decide(p)
                    yield (self.may_note(d), "AV-10",
                           f"para {i} already has a candidate ({getattr(d.status, 'name', d.status)})")

    def guards(self, state: AvailabilityState, a) -> list:
        """What the vectorized engine evaluates on a frontier: :meth:`explored` (rule ``None``)
        then :meth:`rule_guards`."""
        return self.explored(state, a) + list(self.rule_guards(state, a))

    def effect(self, state: AvailabilityState, a) -> AvailabilityState:
        """The next state of an input its guards accept: its ``process_<input>`` (the dispatch
        of :meth:`Machine.step`), on one state or on a whole frontier."""
        return super().step(state, a)

    def step(self, state: AvailabilityState, a) -> AvailabilityState:
        """The rule guards, then the effect (kept apart, as in ``avail_core``: on a frontier
        ``require`` cannot branch, so the vectorized engine masks by the guards instead)."""
        for cond, rule, reason in self.rule_guards(state, a):
            require(cond, rule, reason)
        return self.effect(state, a)

    # -- machine --------------------------------------------------------------------
    def init(self):
        yield AvailabilityState(paras=tuple(ParaAvailability() for _ in range(self.config.n_parachains)))

    def actions(self, state: AvailabilityState) -> Space:
        live = 0
        notable = 0
        # exploration bound (not a protocol rule): each para notes at most max_candidates
        bound = self.config.max_candidates
        for i, p in enumerate(state.paras):
            if p.status == Status.TO_BE_DETERMINED:
                live |= 1 << i
            if p.noted < bound:
                notable |= 1 << i
        # every note mask naming only paras still under the bound, in increasing order
        notes = Space(1 << notable.bit_count(), lambda k: EndBlock(submask(notable, k)))
        return chain(bitfield_actions(self.config.n_validators, self.config.n_parachains, live, state.signed), notes)

    # -- transitions: one ``process_<input>`` per input class (``effect`` dispatches), after the guards --
    def process_sign_bitfield(self, state: AvailabilityState, bf: SignBitfield) -> AvailabilityState:
        """The bitfield's counted bits become its validator's votes. AV-5: a 1 bit for a para
        without a candidate to be determined voids the whole bitfield (``disregard``), or only
        that bit (``bit``); under ``reject`` the guards refused it."""
        free = self.free_bits(state, bf)
        counted = bf.bits & ~free if self.config.free_core_bit == "bit" else ite(free == 0, bf.bits, 0)
        me = 1 << bf.validator
        paras = tuple(
            ParaAvailability(p.status, p.votes | ite((counted >> i) & 1 == 1, me, 0), p.age, p.noted, p.enacted,
                             p.timed_out)
            for i, p in enumerate(state.paras))
        return AvailabilityState(paras=paras, signed=bf.validator + 1)

    def process_end_block(self, state: AvailabilityState, a: EndBlock) -> AvailabilityState:
        """Every para's candidate is decided (:meth:`decide`); then the noted paras get a new
        candidate to be determined (AV-10 is a guard)."""
        paras = []
        for i, p in enumerate(state.paras):
            p = self.decide(p)
            if (a.note >> i) & 1:
                p = ParaAvailability(Status.TO_BE_DETERMINED, 0, 0, p.noted + 1, p.enacted, p.timed_out)
            paras.append(p)
        return AvailabilityState(paras=tuple(paras), signed=0)
