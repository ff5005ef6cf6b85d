"""Handlers and coverage shapes of the spine machines (``availability``, ``inclusion``).

See :mod:`model.handlers`. A new machine declares its own handlers in its own module
the same way; nothing here needs editing for it.
"""

from __future__ import annotations

from .availability import EndBlock, SignBitfield, Status
from .handlers import handler, sampling, state_shape
from .inclusion import Block, Collate, Drop, Second, Stage, Valid

# -- availability ---------------------------------------------------------------------------

handler("availability", "sign_bitfield", [SignBitfield],
        "one signed availability bitfield carried by the current block (AV-1 .. AV-5, AV-9)")
handler("availability", "end_block", [EndBlock],
        "close the block: decide to-be-determined candidates, note new receipts (AV-6 .. AV-8, AV-10)")

# exhaustive exploration with one candidate per para (~10k states at tiny) reaches every shape
sampling("availability", max_candidates=1)

_STATUS = {Status.NO_CANDIDATE: "none", Status.TO_BE_DETERMINED: "tbd",
           Status.AVAILABLE: "available", Status.UNAVAILABLE: "unavailable"}


@state_shape("availability")
def _availability_shape(m, s) -> str:
    """Per para: its status, and whether it holds votes; whether the block carries bitfields."""
    paras = ",".join(_STATUS[p.status] + ("+votes" if p.votes else "") for p in s.paras)
    return f"paras={paras} signed={'yes' if s.signed else 'no'}"


# -- inclusion ------------------------------------------------------------------------------

handler("inclusion", "collate", [Collate], "a collator produces a candidate for a para (INC-1)")
handler("inclusion", "statement", [Second, Valid],
        "a Seconded or Valid backing statement from a validator (INC-1, INC-3, INC-4)")
handler("inclusion", "drop", [Drop], "the candidate in flight fails before the relay chain (INC-2)")
handler("inclusion", "bitfield", [SignBitfield],
        "one signed availability bitfield over the cores (AV-1 .. AV-5)")
handler("inclusion", "block", [Block],
        "the inclusion inherent: enactment, timeouts, backed candidates (INC-4 .. INC-9)")


# exhaustive with one candidate per para (~5k states at tiny); the shapes where a para's next
# candidate is in flight while the previous one is pending come from the bounded sample
sampling("inclusion", max_candidates=1)

_STAGE = {st: st.name.lower() for st in Stage}


@state_shape("inclusion")
def _inclusion_shape(m, s) -> str:
    """Per para: the stage of its candidate in flight; per core: free, pending, pending
    with votes."""
    paras = ",".join(_STAGE[pp.stage] for pp in s.paras)
    cores = ",".join("free" if c is None else "pending" + ("+votes" if c.votes else "") for c in s.cores)
    return f"paras={paras} cores={cores}"
