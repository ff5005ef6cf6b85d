"""The set of visited states as a compact open-addressing table.

A search stores each state's 64-bit key (a fingerprint, or a layout's exact code) once,
in the exploration's ``fps`` array (``array("Q")``, by discovery index). The table maps a
key to that index with 4 bytes per slot: a slot holds ``index + 1`` (0: empty), linear
probing from the slot chosen by Fibonacci hashing of the key (``key * K mod 2^64``, its
top bits: layout codes are not uniformly spread, so they are mixed first). The load stays
at most one half, so a state costs 8 to 16 bytes here, against about 100 in a Python
``dict`` of ints.

Lookups run in Python on ``array`` items (a few hundred nanoseconds); growing the table
(and building it from a checkpoint's keys) is vectorized with numpy: every key claims
its home slot, the first claimant of a free slot wins, the others move one slot on and
try again. Every key then sits after an unbroken run of occupied slots from its home,
which is all a lookup needs, whatever the insertion order.
"""

from __future__ import annotations

from array import array

import numpy as np

__all__ = ["Visited"]

_K = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1
_MIN_BITS = 12


class Visited:
    """Key -> discovery index over ``fps`` (the keys by index); a mapping with ``get``,
    ``in`` and ``len``. :meth:`insert` is called after the key was appended to ``fps``."""

    def __init__(self, fps: array):
        self.fps = fps
        self.n = 0
        self._build(_MIN_BITS)

    @classmethod
    def of(cls, fps: array) -> "Visited":
        """The table of every key in ``fps`` (a checkpoint's)."""
        v = cls.__new__(cls)
        v.fps = fps
        v.n = len(fps)
        bits = _MIN_BITS
        while (1 << bits) < 2 * v.n + 2:
            bits += 1
        v._build(bits)
        return v

    def _build(self, bits: int) -> None:
        self.bits = bits
        self.shift = 64 - bits
        self.mask = (1 << bits) - 1
        self.limit = (1 << bits) // 2
        table = np.zeros(1 << bits, dtype=np.int32)
        n = self.n
        if n:
            keys = np.frombuffer(self.fps, dtype=np.uint64, count=n)
            pos = ((keys * np.uint64(_K)) >> np.uint64(self.shift)).astype(np.int64)
            del keys  # the view pins the array's buffer (no append while it lives)
            _place(table, pos, np.arange(n, dtype=np.int64), self.mask)
        self.slots = array("i")
        self.slots.frombytes(memoryview(table).cast("B"))  # one copy (``array(code, table.tobytes())`` makes two)

    def __len__(self) -> int:
        return self.n

    def get(self, key: int, default=None):
        slots, fps, mask = self.slots, self.fps, self.mask
        h = (key * _K & _M64) >> self.shift
        while True:
            s = slots[h]
            if not s:
                return default
            if fps[s - 1] == key:
                return s - 1
            h = (h + 1) & mask

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def insert(self, i: int) -> None:
        """Enter ``fps[i]`` (not present yet) with index ``i``."""
        self.n += 1
        if self.n > self.limit:
            self._build(self.bits + 1)  # places fps[0..n-1], ``i`` included
            return
        slots, mask = self.slots, self.mask
        h = (self.fps[i] * _K & _M64) >> self.shift
        while slots[h]:
            h = (h + 1) & mask
        slots[h] = i + 1

    def contains_many(self, keys: np.ndarray) -> np.ndarray:
        """A boolean mask: which of ``keys`` (uint64 or int64) are present."""
        table = np.frombuffer(self.slots, dtype=np.int32)
        fps = np.frombuffer(self.fps, dtype=np.uint64, count=self.n) if self.n else np.zeros(0, np.uint64)
        k = keys.astype(np.uint64, copy=False)
        pos = ((k * np.uint64(_K)) >> np.uint64(self.shift)).astype(np.int64)
        found = np.zeros(len(k), dtype=bool)
        todo = np.arange(len(k))
        while len(todo):
            s = table[pos[todo]]
            empty = s == 0
            hit = ~empty
            hit[hit] = fps[s[hit] - 1] == k[todo[hit]]
            found[todo[hit]] = True
            todo = todo[~(empty | hit)]
            pos[todo] = (pos[todo] + 1) & self.mask
        return found


def _place(table: np.ndarray, pos: np.ndarray, idx: np.ndarray, mask: int) -> None:
    """Put ``idx + 1`` into ``table`` by linear probing from ``pos`` (vectorized rounds)."""
    pending = np.arange(len(idx))
    while len(pending):
        p = pos[pending]
        free = np.flatnonzero(table[p] == 0)
        won = np.zeros(len(pending), dtype=bool)
        if len(free):
            slots, first = np.unique(p[free], return_index=True)
            winners = free[first]
            table[slots] = idx[pending[winners]] + 1
            won[winners] = True
        pending = pending[~won]
        pos[pending] = (pos[pending] + 1) & mask


class StateList:
    """An append-only list of ``(index, state)`` pairs (a frontier, a next level) that holds
    its states as zlib-compressed pickles of ``CHUNK`` states each: a few dozen bytes a
    state instead of a few hundred. Read in order (the last two chunks read stay decoded);
    states that cannot be pickled are kept as they are."""

    CHUNK = 2048

    def __init__(self, items=()):
        self.idx = array("q")
        self.chunks: list = []  # bytes (packed) or a list of states (not picklable)
        self.tail: list = []
        self.plain = False
        #: the last two chunks read, decoded (two readers at different places, the search and the
        #: chunks sent to worker processes, do not decode the same chunk again and again)
        self._cached = (-1, None)
        self._before = (-1, None)
        self._dropped = 0
        for pair in items:
            self.append(pair)

    def __len__(self) -> int:
        return len(self.idx)

    def __bool__(self) -> bool:
        return len(self.idx) > 0

    def append(self, pair) -> None:
        i, s = pair
        self.idx.append(i)
        self.tail.append(s)
        if len(self.tail) >= self.CHUNK:
            self._pack()

    def _pack(self) -> None:
        states, self.tail = self.tail, []
        if not self.plain:
            import pickle
            import zlib

            try:
                self.chunks.append(zlib.compress(pickle.dumps(states, protocol=pickle.HIGHEST_PROTOCOL), 1))
                return
            except Exception:  # a state that cannot be pickled: keep them all as they are
                self.plain = True
        self.chunks.append(states)

    def _chunk(self, c: int) -> list:
        got = self.chunks[c]
        if isinstance(got, list):
            return got
        k, states = self._cached
        if k != c:
            k2, states2 = self._before
            if k2 == c:
                states = states2
            else:
                import pickle
                import zlib

                states = pickle.loads(zlib.decompress(got))
            self._before = self._cached
            self._cached = (c, states)
        return states

    def forget_before(self, k: int) -> None:
        """Drop the packed chunks wholly before position ``k`` (a reader that moves forward only
        needs no earlier state); reading a dropped position is an error."""
        upto = min(k // self.CHUNK, len(self.chunks))
        for c in range(self._dropped, upto):
            self.chunks[c] = None
        self._dropped = max(self._dropped, upto)

    def _state(self, k: int):
        c, r = divmod(k, self.CHUNK)
        return self.tail[r] if c == len(self.chunks) else self._chunk(c)[r]

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [(self.idx[j], self._state(j)) for j in range(*k.indices(len(self.idx)))]
        if k < 0:
            k += len(self.idx)
        return self.idx[k], self._state(k)

    def __iter__(self):
        for k in range(len(self.idx)):
            yield self.idx[k], self._state(k)
