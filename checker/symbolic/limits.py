"""The bounds of what the symbolic engine accepts as run parameters.

``paraspec prove`` refuses (one line, exit 2) a ``--timeout`` or ``--depth`` above these; the
engine itself clamps a solver timeout to what Z3 can represent, so library callers get a
verdict (never an ``OverflowError``) whatever number they pass.
"""

from __future__ import annotations

import math

__all__ = ["MAX_TIMEOUT_S", "MAX_DEPTH", "z3_timeout_ms"]

#: the longest time limit per lemma / machine / mutant, in seconds (about 11.6 days; Z3's
#: timeouts are 32-bit millisecond counts, about 49.7 days)
MAX_TIMEOUT_S = 1_000_000
#: the largest k of k-induction and the deepest BMC unrolling (both grow the formulas with
#: the depth, and the simple-path constraints quadratically)
MAX_DEPTH = 100
#: Z3's largest timeout, in milliseconds (an unsigned 32-bit count)
_Z3_MAX_MS = (1 << 32) - 1


def z3_timeout_ms(seconds: float) -> int:
    """A Z3 ``timeout`` parameter for ``seconds`` left: at least 1 ms, at most Z3's largest
    (an infinite or NaN time left gives the largest)."""
    if math.isnan(seconds) or seconds * 1000 >= _Z3_MAX_MS:
        return _Z3_MAX_MS
    return max(1, int(seconds * 1000))
