"""One hash partition of a breadth-first search on Ray (a plain class; ``search`` makes
it a Ray actor).

A partition owns the states whose fingerprint hashes to it (:func:`owner`): their keys,
their global indices (the index the single-process engine would give them) and parent
pointers, and its share of the frontier. A level runs in three calls the driver makes on
every partition:

1. :meth:`Partition.expand`: expand its frontier states (in global order) with the
   :class:`~checker.expander.Expander` every engine uses, and return one batch of new
   successors per destination partition, each tagged with where the single-process engine
   would first meet it (parent index, action index);
2. :meth:`Partition.receive`: keep, of every successor it owns and has not stored, the
   first tag; return the tags in order (the driver merges them into global indices);
3. :meth:`Partition.commit`: store the new states under those indices (only those met
   before ``cutoff``, the position where the single-process engine would stop inside the
   level) and return what the level recorded: transitions, rejections, violations,
   witnesses, deadlocks.
"""

from __future__ import annotations

import gc
import traceback
from array import array
from typing import Any

from ..expander import Expander
from ..visited import StateList, Visited

__all__ = ["Partition", "Edges", "owner", "owner_array", "ACT_BITS"]

#: a tag is ``parent << ACT_BITS | action index``: action indices stay below 2**24
ACT_BITS = 24
_ACT_MASK = (1 << ACT_BITS) - 1
_MIX = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1


def owner(fp: int, n: int) -> int:
    """The partition (of ``n``) owning key ``fp`` (mixed first: packed codes are not uniform)."""
    return (((fp * _MIX) & _M64) >> 32) % n


def owner_array(fps, n: int):
    """:func:`owner` of every key of a numpy ``uint64`` array."""
    import numpy as np

    with np.errstate(over="ignore"):
        mixed = fps.astype(np.uint64) * np.uint64(_MIX)
    return ((mixed >> np.uint64(32)) % np.uint64(n)).astype(np.int64)


class Edges:
    """Accepted edges (liveness) as four arrays: source global index, action index, fairness
    label, target key (21 bytes an edge)."""

    NAMES = (("src", "q"), ("act", "i"), ("label", "B"), ("dst", "Q"))

    def __init__(self):
        self.src, self.act, self.label, self.dst = (array(code) for _, code in self.NAMES)

    def __len__(self) -> int:
        return len(self.src)

    def extend(self, edges) -> None:
        for g, act, label, fp in edges:
            self.src.append(g)
            self.act.append(act)
            self.label.append(label)
            self.dst.append(fp)

    def numpy(self) -> tuple:
        import numpy as np

        return tuple(np.array(getattr(self, name), dtype=np.dtype(code)) for name, code in self.NAMES)


class Partition:
    def __init__(self, k: int, n: int, machine, props, symmetry: bool, live: bool):
        gc.disable()  # many small immutable objects, no cycles (as in the single-process engine)
        self.k, self.n = k, n
        self.x = Expander(machine, props, symmetry)
        self.state_type = type(next(iter(machine.init())))
        self.live = live
        self.gidx = array("q")
        self.fps = array("Q")
        #: the visited set: key -> position in ``fps`` (the single-process engine's compact table)
        self.index = Visited(self.fps)
        self.parent = array("q")
        self.parent_act = array("i")
        #: (global index, state) in global order, the states compressed in chunks (as in one process)
        self.frontier = StateList()
        self.pending: list = []
        self.records: list = []
        self.edges = Edges()
        self.level_edges: list[tuple[int, int, int, int]] = []
        self.error: tuple | None = None

    def ping(self) -> int:
        return self.k

    def _add(self, fp: int, g: int, parent: int, act: int) -> None:
        self.fps.append(fp)
        self.index.insert(len(self.fps) - 1)
        self.gidx.append(g)
        self.parent.append(parent)
        self.parent_act.append(act)

    def seed(self, roots: list[tuple[int, int, int, Any]]) -> None:
        """The initial states this partition owns: (global index, key, init index, state)."""
        for g, fp, act, rep in roots:
            self._add(fp, g, -1, act)
            self.frontier.append((g, rep))

    def restore(self, rows, frontier: list, edges: list) -> None:
        """Install a checkpoint's share: rows (global index, key, parent, action), frontier
        (global index, state) in order, and accepted edges (liveness)."""
        for g, fp, parent, act in zip(*rows):
            self._add(fp, g, parent, act)
        self.frontier = StateList(frontier)
        self.edges.extend(edges)

    def snapshot(self) -> bytes:
        """This partition's checkpoint file (between levels), encoded here (``.checkpoint``)."""
        from .checkpoint import encode_partition

        return encode_partition(self)

    def load(self, blob: bytes, where: str, states: int, lo: int):
        """Install this partition's share from its checkpoint file: (global indices, frontier
        global indices) as numpy arrays, or the one line saying what is wrong with the file."""
        import numpy as np

        from ..results import CheckpointMismatch
        from .checkpoint import decode_partition

        try:
            got = decode_partition(self, blob, where, states, lo)
        except CheckpointMismatch as e:
            return str(e)
        self.restore(got["rows"], got["frontier"], got["edges"])
        return np.array(self.gidx, dtype=np.int64), np.array(self.frontier.idx, dtype=np.int64)

    # -- 1. expand ------------------------------------------------------------------------------
    def expand(self):
        """Expand the frontier: one batch per partition, then a summary (first transition
        violation per property as (state, action), and the first model error)."""
        n, x, index = self.n, self.x, self.index
        out: list[dict[int, tuple]] = [{} for _ in range(n)]

        def known(fp: int) -> bool:
            return fp in index or fp in out[owner(fp, n)]

        records = []
        tfirst: dict[str, tuple[int, int]] = {}
        edges = self.level_edges = []
        self.error = None
        for g, s in self.frontier:
            try:
                succs, tviol, twit = x.expand(s, known)
            except Exception as e:  # a model bug: the driver reports it with its trace
                self.error = (g, f"{type(e).__name__}: {e}", traceback.format_exc(limit=6))
                break
            rejs = [succ[2] for succ in succs if succ[2] is not None]
            for name, act in tviol:
                tfirst.setdefault(name, (g, act))
            records.append((g, len(succs), rejs, tviol, twit, len(rejs) < len(succs)))
            for act, label, rule, fp, rep, info in succs:
                if rule is not None:
                    continue
                if self.live:
                    edges.append((g, act, label, fp))
                if rep is None:
                    continue
                bucket = out[owner(fp, n)]
                if fp not in bucket:
                    bucket[fp] = ((g << ACT_BITS) | act, rep, info)
        self.records = records
        return (*out, (tfirst, self.error))

    # -- 2. receive -----------------------------------------------------------------------------
    def receive(self, *batches):
        """Keep the first tag of each new state; return (tags in order, first tag per
        invariant a new state violates)."""
        import numpy as np

        index = self.index
        best: dict[int, tuple] = {}
        for b in batches:
            for fp, item in b.items():
                if fp in index:
                    continue
                cur = best.get(fp)
                if cur is None or item[0] < cur[0]:
                    best[fp] = item
        pending = sorted(best.items(), key=lambda kv: kv[1][0])
        self.pending = pending
        bad: dict[str, int] = {}
        for _, (tag, _, info) in pending:
            for name in info[0]:
                bad.setdefault(name, tag)
        return np.fromiter((item[0] for _, item in pending), dtype=np.int64, count=len(pending)), bad

    # -- 3. commit ------------------------------------------------------------------------------
    def commit(self, cutoff: int, gidxs) -> dict[str, Any]:
        """Store the new states met before global position ``cutoff`` under ``gidxs``; return
        what the level recorded up to ``cutoff``."""
        st: dict[str, Any] = {"bad": {}, "wit": {}, "some": {}, "transitions": 0, "rejections": {},
                              "tviol": {}, "twit": {}, "deadlocks": 0, "first_deadlock": None, "dead": []}
        nxt = StateList()
        for (fp, (tag, rep, info)), g in zip(self.pending, gidxs.tolist()):
            self._add(fp, g, tag >> ACT_BITS, tag & _ACT_MASK)
            nxt.append((g, rep))
            bad, wit, some = info
            for name in bad:
                st["bad"].setdefault(name, (tag, g))
            for name in wit:
                st["wit"][name] = st["wit"].get(name, 0) + 1
            for name in some:
                st["some"].setdefault(name, g)
        self._level_stats(st, cutoff)
        if self.live:
            self.edges.extend(e for e in self.level_edges if e[0] < cutoff)
        self.frontier, self.pending, self.records, self.level_edges = nxt, [], [], []
        return st

    def _level_stats(self, st: dict[str, Any], cutoff: int) -> None:
        rej = st["rejections"]
        for g, ntrans, rejs, tviol, twit, accepted in self.records:
            if g >= cutoff:
                break
            st["transitions"] += ntrans
            for r in rejs:
                rej[r] = rej.get(r, 0) + 1
            for name, act in tviol:
                st["tviol"].setdefault(name, (g, act))
            for name, c in twit.items():
                st["twit"][name] = st["twit"].get(name, 0) + c
            if not accepted:
                st["deadlocks"] += 1
                st["dead"].append(g)
                if st["first_deadlock"] is None:
                    st["first_deadlock"] = g

    # -- the end ----------------------------------------------------------------------------------
    def gather(self):
        """(global indices, keys, parents, parent actions, edges) of everything stored."""
        import numpy as np

        return (np.array(self.gidx, dtype=np.int64), np.array(self.fps, dtype=np.uint64),
                np.array(self.parent, dtype=np.int64), np.array(self.parent_act, dtype=np.int32), self.edges.numpy())

    def memory(self) -> tuple[int, int, int, int, int]:
        """(states stored, bytes of the visited set, bytes of the liveness edges, resident memory now,
        peak resident memory) of this actor. The visited set is the key-to-position table
        (``checker.visited``) and the four arrays; the resident memory adds the Ray worker itself and
        the high-water mark of the frontier and the levels' batches."""
        import os
        import resource

        def size(a: array) -> int:
            return a.buffer_info()[1] * a.itemsize

        visited = size(self.index.slots) + sum(size(a) for a in (self.gidx, self.fps, self.parent, self.parent_act))
        edges = sum(size(getattr(self.edges, name)) for name, _ in Edges.NAMES)
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return len(self.fps), visited, edges, rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
