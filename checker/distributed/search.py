"""The breadth-first search on Ray: the driver of the partitions (``.partition``).

The search is level-synchronous, and every state gets the global index the
single-process engine (``checker.explicit``) would give it: a new state's index is the
rank of its tag (where it is first met: parent index, action index) among the level's
new states, which the driver merges from the partitions' sorted tags (8 bytes per new
state, per level). So the states, transitions, parent pointers, first violations and
shortest traces are the single-process engine's, and where that engine stops inside a
level (``--max-states``, a mutant's stop on its properties, a model error) the driver
computes the same position from the tags and the partitions commit only what lies
before it. ``--time-limit`` and progress are checked between levels.

At the end the driver gathers the parent pointers (20 bytes per state) and hands them to
the single-process engine's own result code: traces are rebuilt by replay, and liveness
(``eventually``, ``leads_to``) is decided on the gathered graph (the partitions keep
their accepted edges when the machine has liveness properties).
"""

from __future__ import annotations

import time
from array import array
from typing import Any, Callable

import attrs

from ..explicit import Checker, _liveness_props, _Search
from ..results import ModelError, Result, stop_on_reached
from .partition import ACT_BITS, Partition, owner
from .runtime import connect, dead_worker

__all__ = ["run_ray"]


def run_ray(checker: Checker, workers: int, address: str | None = None,
            on_level: Callable[[int, list], None] | None = None, memory: list | None = None) -> Result:
    """Run ``checker``'s search over ``workers`` partitions on Ray (local when ``address`` is None).
    ``on_level(depth, actors)`` is called after every level (tests kill an actor there); ``memory``,
    when given, receives each partition's (states, visited-set bytes, edge bytes, resident bytes before,
    now, peak)
    (``make bench``)."""
    ray = connect(address, workers)
    d = _Driver(ray, checker, workers, on_level)
    try:
        before = d.get([p.memory.remote() for p in d.parts]) if memory is not None else None
        result = attrs.evolve(d.run(), parameters=checker.machine.parameter_values())
        if memory is not None:
            after = d.get([p.memory.remote() for p in d.parts])
            memory.extend((n, visited, edges, b[3], now, peak)
                          for b, (n, visited, edges, now, peak) in zip(before, after))
        return result
    finally:
        d.close()


class _Driver:
    def __init__(self, ray, checker: Checker, workers: int, on_level):
        self.ray = ray
        self.c = checker
        self.n = workers
        self.on_level = on_level
        self.s = _Search(checker)  # the single-process engine's bookkeeping and result code
        self.s.fresh()
        self.live = bool(_liveness_props(checker.properties))
        # no CPU reserved (a partition waits on the others half of the time); spread over the nodes
        actor = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(Partition)
        m, props = checker.machine, checker.properties
        self.parts = [actor.remote(k, workers, m, props, checker.symmetry, self.live) for k in range(workers)]
        self.dead_idx: list[int] = []
        self.inside_level = False
        self.ck = None

    def close(self) -> None:
        for p in self.parts:
            try:
                self.ray.kill(p)
            except Exception:
                pass

    def get(self, refs):
        ray = self.ray
        try:
            return ray.get(refs)
        except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError,
                ray.exceptions.WorkerCrashedError) as e:
            raise dead_worker(e, "a search partition (Ray actor)") from None

    # -- the search -----------------------------------------------------------------------------
    def run(self) -> Result:
        c, s = self.c, self.s
        lo, n_states, depth, stopped = self._begin()
        began = time.perf_counter()
        start = began - s.elapsed_before
        last_save = began
        while n_states > lo and stopped is None:
            if c.max_depth is not None and depth >= c.max_depth:
                stopped = "max_depth"
            elif c.time_limit is not None and time.perf_counter() - began > c.time_limit:
                stopped = "time_limit"
            elif c.max_states is not None and n_states >= c.max_states:
                stopped = "max_states"
            if stopped is not None:
                break
            added, stopped = self._level(lo, n_states)
            self.inside_level = stopped is not None
            lo, n_states = n_states, n_states + added
            if stopped is None and n_states > lo:
                depth += 1
            if c.progress is not None:
                c.progress(n_states, depth, time.perf_counter() - start)
            if self.on_level is not None:
                self.on_level(depth, self.parts)
            if self.ck is not None and stopped is None and time.perf_counter() - last_save >= c.checkpoint_every:
                self._save(lo, n_states, depth, time.perf_counter() - start)
                last_save = time.perf_counter()
        elapsed = time.perf_counter() - start
        if self.ck is not None and s.error is None and not self.inside_level:
            # a search stopped inside a level keeps its last checkpoint saved between levels
            self._save(lo, n_states, depth, elapsed, stopped)
        self._gather(depth, None if stopped == "error" else stopped)
        result = s._resumed_result(elapsed) if c.resume else s._result(elapsed)
        engine = f"ray x{self.n}" + ("+symmetry" if s.x.canon is not None else "")
        return attrs.evolve(result, engine=engine)

    def _begin(self) -> tuple[int, int, int, str | None]:
        """(first frontier index, states, depth, why stopped) from the roots or a checkpoint: a
        Ray checkpoint (one file per partition) or, when the directory holds only that, one of
        the single-process engine saved between levels."""
        from .checkpoint import RayCheckpoints, present

        s, c = self.s, self.c
        self.ck = None
        if c.checkpoint_dir is not None:
            self.ck = RayCheckpoints(c.checkpoint_dir, s._identity(), self.n)
            self.ck.prepare()
        if not c.resume:
            return 0, self._roots(), 0, None
        if self.ck is not None and present(c.checkpoint_dir):
            return self._load()
        from ..checkpoint import one_line

        s.ckpt = s._checkpoints() if c.checkpoint_dir is not None else None
        if s.ckpt is None or not s.load():
            raise one_line(f"{c.checkpoint_dir}: no checkpoint to resume from")
        ex = s.ex
        if ex.pos or ex.nxt:
            raise one_line(f"{s.ckpt.path}: saved inside a level by the single-process engine; the Ray search "
                           "resumes checkpoints saved between levels (resume this one without --ray)")
        self._distribute()
        return len(ex) - len(ex.frontier), len(ex), ex.depth, ex.stopped

    def _load(self) -> tuple[int, int, int, str | None]:
        """Restore the search from its Ray checkpoint: each partition reads its own file."""
        import numpy as np

        from ..checkpoint import one_line

        s, ck = self.s, self.ck
        s.ckpt = ck  # its path names the checkpoint in a resumed search's errors
        sc, self.dead_idx, files = ck.load([p.name for p in s.props])
        n, lo = sc["states"], sc["lo"]
        refs = [p.load.remote(ck.read_part(path, sha), str(path), n, lo) for p, (path, sha) in zip(self.parts, files)]
        got = self.get(refs)
        errors = [g for g in got if isinstance(g, str)]
        if errors:
            raise one_line(errors[0])
        gidx = np.sort(np.concatenate([g for g, _ in got]))
        front = np.sort(np.concatenate([f for _, f in got]))
        if not (np.array_equal(gidx, np.arange(n)) and np.array_equal(front, np.arange(lo, n))):
            raise one_line(f"{ck.path}: malformed checkpoint: the partitions do not hold states 0..{n - 1} once "
                           "each, or the frontier is not the last level")
        for k in ("transitions", "deadlocks", "deadlock_idx", "rejections", "witness_hits", "some_found"):
            setattr(s, k, sc[k])
        s.violations = {k: (v[0], v[1]) for k, v in sc["violations"].items()}
        s.elapsed_before = float(sc["elapsed"])
        stopped = "violation" if stop_on_reached(self.c.stop_on, s.violations) else None
        return lo, n, sc["depth"], stopped

    def _distribute(self) -> None:
        """Hand a loaded checkpoint's states, frontier and edges to the partitions that own them."""
        import numpy as np

        s, n = self.s, self.n
        ex = s.ex
        fps = np.array(ex.fps, dtype=np.uint64)
        own = np.array([owner(fp, n) for fp in ex.fps], dtype=np.int64)
        gidx = np.arange(len(fps), dtype=np.int64)
        parent, pact = np.array(ex.parent, dtype=np.int64), np.array(ex.parent_act, dtype=np.int64)
        fronts: list[list] = [[] for _ in range(n)]
        for g, rep in ex.frontier:
            fronts[own[g]].append((g, rep))
        edges: list = []
        if s.graph is not None:
            gr = s.graph
            edges = [(u, a, lab, ex.fps[v]) for u, v, a, lab in gr.edges()]
            self.dead_idx = [i for i, d in enumerate(s.dead) if d]
        mine: list[list] = [[] for _ in range(n)]
        for e in edges:  # each edge goes to the partition owning its source
            mine[own[e[0]]].append(e)
        refs = []
        for k, p in enumerate(self.parts):
            sel = own == k
            rows = (gidx[sel].tolist(), fps[sel].tolist(), parent[sel].tolist(), pact[sel].tolist())
            refs.append(p.restore.remote(rows, fronts[k], mine[k]))
        self.get(refs)

    def _save(self, lo: int, n_states: int, depth: int, elapsed: float, stopped: str | None = None) -> None:
        """A checkpoint between levels: each partition encodes its own file (``.checkpoint``),
        which the driver writes as it fetches it, then the manifest with the search's counters."""
        s = self.s
        search = {"states": n_states, "lo": lo, "depth": depth, "stopped": stopped,
                  "transitions": s.transitions, "deadlocks": s.deadlocks, "deadlock_idx": s.deadlock_idx,
                  "rejections": s.rejections, "witness_hits": s.witness_hits,
                  "violations": {k: list(v) for k, v in s.violations.items()}, "some_found": s.some_found,
                  "elapsed": elapsed}
        refs = [p.snapshot.remote() for p in self.parts]
        self.ck.save((self.get(r) for r in refs), search, sorted(self.dead_idx))

    def _roots(self) -> int:
        s = self.s
        seen: set[int] = set()
        per: list[list] = [[] for _ in range(self.n)]
        for succ in s.roots():
            fp = succ[3]
            if fp in seen:
                continue
            seen.add(fp)
            g = len(seen) - 1
            s.on_state(g, -1, succ)
            per[owner(fp, self.n)].append((g, fp, succ[0], succ[4]))
        self.get([p.seed.remote(r) for p, r in zip(self.parts, per)])
        return len(seen)

    def _level(self, lo: int, hi: int) -> tuple[int, str | None]:
        """Expand the frontier (global indices ``lo..hi-1``); (states added, why stopped)."""
        import numpy as np

        n = self.n
        outs = [p.expand.options(num_returns=n + 1).remote() for p in self.parts]
        recv = [self.parts[j].receive.remote(*[outs[k][j] for k in range(n)]) for j in range(n)]
        got = self.get(recv + [o[n] for o in outs])
        tags = [t for t, _ in got[:n]]
        bad = [b for _, b in got[:n]]
        summaries = got[n:]
        merged = np.sort(np.concatenate(tags)) if tags else np.zeros(0, np.int64)
        cutoff, why, error = self._cutoff(lo, hi, merged, bad, summaries)
        bound = cutoff << ACT_BITS
        commits = []
        for p, t in zip(self.parts, tags):
            kept = t[t < bound]
            commits.append(p.commit.remote(cutoff, hi + np.searchsorted(merged, kept)))
        stats = self.get(commits)
        self._record(stats)
        if error is not None and why == "error":
            self.s.error = ModelError(error[1], None, error[2])
            self.error_at = error[0]
        return int(np.searchsorted(merged, bound)), why

    def _cutoff(self, lo: int, hi: int, merged, bad: list[dict], summaries: list) -> tuple[int, str | None, Any]:
        """Where the single-process engine would stop inside this level (``hi``: nowhere), and why."""
        c = self.c
        cands: list[tuple[int, int, str]] = []  # (position, priority, reason)
        errors = [e for _, e in summaries if e is not None]
        error = min(errors) if errors else None
        if error is not None:
            cands.append((error[0], 2, "error"))
        if c.max_states is not None:
            need = c.max_states - hi
            if len(merged) >= need:
                at = (int(merged[need - 1]) >> ACT_BITS) + 1
                if at < hi:
                    cands.append((at, 1, "max_states"))
        at = self._violation_stop(lo, bad, summaries)
        if at is not None:
            cands.append((at, 0, "violation"))
        if not cands:
            return hi, None, None
        pos, _, why = min(cands)
        return pos, why, error

    def _violation_stop(self, lo: int, bad: list[dict], summaries: list) -> int | None:
        """The position after which a mutant's stop on its properties fires in this level."""
        stop_on = self.c.stop_on
        if not stop_on:
            return None
        first: dict[str, int] = {}  # name -> index of the frontier state whose expansion violates it
        for tfirst, _ in summaries:
            for name, (g, _act) in tfirst.items():
                first[name] = min(first.get(name, g), g)
        for b in bad:
            for name, tag in b.items():
                g = tag >> ACT_BITS
                first[name] = min(first.get(name, g), g)
        done = {name: lo for name in self.s.violations}
        seen = {**first, **done}
        if not stop_on_reached(stop_on, seen):
            return None
        if stop_on is True:
            return min(seen.values()) + 1
        return max(seen[name] for name in stop_on) + 1

    def _record(self, stats: list[dict]) -> None:
        """Fold the partitions' level records into the search's (first ones by position)."""
        s = self.s
        tv: dict[str, tuple] = {}
        for st in stats:
            s.transitions += st["transitions"]
            for r, k in st["rejections"].items():
                s.rejections[r] = s.rejections.get(r, 0) + k
            for name, k in list(st["twit"].items()) + list(st["wit"].items()):
                s.witness_hits[name] += k
            s.deadlocks += st["deadlocks"]
            if st["first_deadlock"] is not None and (s.deadlock_idx is None or st["first_deadlock"] < s.deadlock_idx):
                s.deadlock_idx = st["first_deadlock"]
            self.dead_idx.extend(st["dead"])
            for name, (g, act) in st["tviol"].items():
                key = (g, 0, act)
                if name not in tv or key < tv[name][0]:
                    tv[name] = (key, (g, act))
            for name, (tag, g) in st["bad"].items():
                key = (tag >> ACT_BITS, 1, tag & ((1 << ACT_BITS) - 1))
                if name not in tv or key < tv[name][0]:
                    tv[name] = (key, (g, None))
        for name, (_, where) in tv.items():
            s.violations.setdefault(name, where)
        some = {}
        for st in stats:
            for name, g in st["some"].items():
                some[name] = min(some.get(name, g), g)
        for name, g in some.items():
            if name not in s.some_found:
                s.some_found[name] = g
                s.witness_hits[name] += 1

    # -- the end: parent pointers (and, for liveness, the graph) to the driver ----------------------
    def _gather(self, depth: int, stopped: str | None) -> None:
        import numpy as np

        from ..explore import Exploration

        parts = self.get([p.gather.remote() for p in self.parts])
        gidx = np.concatenate([g for g, *_ in parts])
        order = np.argsort(gidx, kind="stable")
        fps = np.concatenate([f for _, f, *_ in parts])[order]
        parent = np.concatenate([p for _, _, p, _, _ in parts])[order]
        pact = np.concatenate([a for *_, a, _ in parts])[order]
        ex = Exploration()
        ex.fps = array("Q", fps.tobytes())
        ex.parent = array("q", parent.astype(np.int64).tobytes())
        ex.parent_act = array("i", pact.astype(np.int32).tobytes())
        ex.depth, ex.stopped, ex.started = depth, stopped, True
        s = self.s
        s.ex = ex
        if s.error is not None:
            s.error = ModelError(s.error.message, s.rebuild(self.error_at), s.error.detail)
        if self.live:
            self._graph(fps, ex.parent, ex.parent_act, [e for *_, e in parts])

    def _graph(self, fps, parent, pact, edges: list[tuple]) -> None:
        """The explored graph from the parent pointers and the partitions' edge arrays, the edges
        in the single-process engine's order (by source, then action)."""
        import numpy as np

        from ..liveness import Graph

        src, act, label, dst_fp = (np.concatenate([e[k] for e in edges]) for k in range(4))
        order = np.lexsort((act, src))
        src, act, label, dst_fp = src[order], act[order], label[order], dst_fp[order]
        by_key = np.argsort(fps, kind="stable")
        at = np.searchsorted(fps, dst_fp, sorter=by_key)
        dst = by_key[np.minimum(at, max(len(fps) - 1, 0))] if len(fps) else at
        if len(dst_fp) and not np.array_equal(fps[dst], dst_fp):  # only a resumed checkpoint's edges can
            from ..checkpoint import one_line

            raise one_line(f"{self.ck.path if self.ck else 'checkpoint'}: malformed checkpoint: a liveness "
                           "edge leads to no stored state")
        enabled = np.zeros(len(fps), dtype=np.uint8)
        np.bitwise_or.at(enabled, src, label)
        s = self.s
        off = np.searchsorted(src, np.arange(len(fps)), side="left")  # edges sorted by source
        g = Graph(n=len(fps), off=array("q", off.astype(np.int64).tobytes()),
                  dst=array("i", dst.astype(np.int32).tobytes()), act=array("i", act.astype(np.int32).tobytes()),
                  label=array("B", label.astype(np.uint8).tobytes()), enabled=array("B", enabled.tobytes()),
                  parent=parent, parent_act=pact)  # the exploration's own arrays, shared
        s.graph = g
        s.dead = array("B", bytes(len(fps)))
        for i in self.dead_idx:
            s.dead[i] = 1
