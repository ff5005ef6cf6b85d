"""Action spaces: the inputs of a state as an indexed sequence, enumerated lazily.

``Machine.actions(state)`` may return a :class:`Space` instead of a generator when the
inputs of a state can be too many to list (the ``polkadot`` preset of ``availability``
offers every subset of 100 cores to each of 1,000 validators: about 2^110 inputs). A
space knows its ``size`` and its ``k``-th element (``at(k)``), and iterates in index
order, so the one description of the inputs serves both uses:

* exhaustive engines iterate it, in the same order as before (action indices, traces and
  pinned state counts do not change);
* simulation draws a uniformly random index (``checker.simulate``) without enumerating
  the others.

``size`` is an attribute, not ``len()``: Python's ``len`` cannot return more than
``sys.maxsize``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

__all__ = ["Space", "space", "chain", "submask"]


class Space:
    """``size`` elements, the ``k``-th of which is ``at(k)`` (``0 <= k < size``)."""

    __slots__ = ("size", "at", "_iter")

    def __init__(self, size: int, at: Callable[[int], Any], iterate: Callable[[], Iterator[Any]] | None = None):
        if size < 0:
            raise ValueError(f"a space of {size} elements")
        self.size = size
        self.at = at
        #: the elements in index order, when there is a cheaper way to list them than ``at``
        #: index by index (a chain lists its parts one after the other)
        self._iter = iterate

    def __iter__(self) -> Iterator[Any]:
        if self._iter is not None:
            return self._iter()
        return map(self.at, range(self.size))

    def __getitem__(self, k: int) -> Any:
        if not 0 <= k < self.size:
            raise IndexError(f"index {k} of a space of {self.size}")
        return self.at(k)

    def __repr__(self) -> str:
        return f"<Space of {self.size}>"


def space(items: Iterable[Any] | Space) -> Space:
    """``items`` (a space, or a finite collection listed now) as a space."""
    if isinstance(items, Space):
        return items
    seq = tuple(items)
    return Space(len(seq), seq.__getitem__, seq.__iter__)


def chain(*parts: Iterable[Any] | Space) -> Space:
    """The elements of ``parts``, one part after the other."""
    spaces = [space(p) for p in parts]
    spaces = [s for s in spaces if s.size]
    if len(spaces) == 1:
        return spaces[0]

    def at(k: int) -> Any:
        for s in spaces:
            if k < s.size:
                return s.at(k)
            k -= s.size
        raise IndexError(k)

    def iterate() -> Iterator[Any]:
        for s in spaces:
            yield from s

    return Space(sum(s.size for s in spaces), at, iterate)


def submask(mask: int, k: int) -> int:
    """The ``k``-th subset of the bits of ``mask`` in increasing numeric order: the bits of
    ``k`` deposited, lowest first, into the set bits of ``mask`` (0 <= k < 2^popcount(mask))."""
    out = 0
    bit = 0
    while k:
        while not (mask >> bit) & 1:
            if not mask >> bit:
                raise IndexError(f"subset {k} of a mask of {mask.bit_count()} bits")
            bit += 1
        if k & 1:
            out |= 1 << bit
        k >>= 1
        bit += 1
    return out
