"""The breadth-first exploration core every state-by-state engine runs on.

One loop: the frontier of a level is expanded state by state, in order; each
accepted successor is looked up by its key (a stable fingerprint by default,
``checker.fingerprint``) and, when new and admitted, stored with a parent pointer
(the parent's index and the index of the action taken, or ``-1`` and the index of
the initial state) and queued for the next level. What differs between the users
(the explicit engine, the pools of conformance vectors, the symbolic cross-check,
domain inference ...) is a :class:`Visitor`: what to record, which states to keep,
when to stop. A visitor stops the exploration by returning a reason from a ``stop_*``
hook (kept in :attr:`Exploration.stopped`) or by raising :class:`Halt` (after it has
recorded why itself).

The exploration is resumable: its fields (:data:`Exploration.FIELDS`) are plain data
a checkpoint can hold, and :meth:`Exploration.run` continues from them (in the middle
of a level too).

Successors are tuples ``(act, what, rejected, fp, rep, info)``: the index of the
action in ``actions(state)``; the action itself (the explicit engine sends its
fairness label there instead: worker processes send no actions); the rejection
(``None`` when accepted); the successor's key and the state to store (``None`` when
the expander knows it is stored already); and whatever the visitor attaches. The core
reads only ``act``, ``rejected``, ``fp`` and ``rep``.

The numpy engine (``checker.vector``) keeps the same level structure (frontier, next
level, depth, parent pointers per level) but expands a whole level as array
operations, so it does not run this per-state loop; it shares the stop rules and the
verdicts (``checker.results``).
"""

from __future__ import annotations

from array import array
from typing import Any, Iterable, Iterator

from paraspec.model.core import Rejected

from .fingerprint import fingerprint
from .visited import StateList, Visited

__all__ = ["Exploration", "Visitor", "Halt", "explore"]


class Halt(Exception):
    """Raised by a visitor hook: stop now (the visitor has recorded why)."""


class Visitor:
    """Hooks of one exploration. The defaults explore every reachable state of
    ``machine`` and record nothing; a subclass overrides what it needs."""

    def __init__(self, machine):
        self.machine = machine

    # -- states and successors ------------------------------------------------------------------
    def key(self, s) -> tuple[Any, int]:
        """(the state to store, its key)."""
        return s, fingerprint(s)

    def roots(self) -> Iterator[tuple]:
        """The initial states, as successors of no state (``act`` is the initial state's index)."""
        for k, s in enumerate(self.machine.init()):
            rep, fp = self.key(s)
            yield k, None, None, fp, rep, None

    def expand(self, i: int, s) -> Iterable[tuple]:
        """The successors of state ``i`` (``s``), in action order."""
        key = self.key
        for k, a, t in self.machine.successors(s):
            if isinstance(t, Rejected):
                yield k, a, t, 0, None, None
            else:
                rep, fp = key(t)
                yield k, a, None, fp, rep, None

    def admit(self, parent: int, succ: tuple) -> bool:
        """Whether a new successor of ``parent`` is stored (and explored)."""
        return True

    # -- what to record ---------------------------------------------------------------------------
    def on_state(self, i: int, parent: int, succ: tuple) -> None:
        """A new state was stored as ``i`` (``parent`` is ``-1`` for an initial state)."""

    def on_transition(self, i: int, succ: tuple) -> None:
        """Every successor of state ``i``, accepted or not, before it is looked up."""

    def on_edge(self, i: int, j: int, succ: tuple) -> None:
        """An accepted transition from state ``i`` to the stored state ``j``."""

    def records_transitions(self) -> bool:
        """Whether :meth:`on_transition` is to be called (default: when a subclass overrides it;
        the exploration loop skips a call per successor otherwise)."""
        return type(self).on_transition is not Visitor.on_transition

    def records_edges(self) -> bool:
        """Whether :meth:`on_edge` is to be called (default: when a subclass overrides it)."""
        return type(self).on_edge is not Visitor.on_edge

    def begin_level(self, ex: "Exploration") -> None:
        """The frontier (from ``ex.pos`` on) is about to be expanded."""

    def end_level(self, ex: "Exploration") -> None:
        """A level was expanded and the next one is the frontier (``ex.depth`` its depth)."""

    # -- when to stop -----------------------------------------------------------------------------
    def stop_level(self, ex: "Exploration") -> str | None:
        """Before a level is expanded: a reason to stop, or ``None``."""
        return None

    def stop_state(self, ex: "Exploration") -> str | None:
        """Before a frontier state is expanded."""
        return None

    def after_state(self, ex: "Exploration", i: int, accepted: bool) -> str | None:
        """After state ``i`` was expanded (``accepted``: some input was accepted)."""
        return None


class Exploration:
    """The state of one breadth-first exploration (resumable: see :data:`FIELDS`)."""

    #: what a checkpoint holds (``index`` is rebuilt from ``fps``)
    FIELDS = ("fps", "parent", "parent_act", "frontier", "pos", "nxt", "depth", "stopped", "started")

    def __init__(self, compact: bool = False) -> None:
        #: the list type of the frontier and the next level: a compressed ``StateList``
        #: when ``compact`` (the explicit engine), else a plain list
        self._list = StateList if compact else list
        self.fps = array("Q")
        #: key -> index of the stored state (a compact table over ``fps``: ``checker.visited``)
        self.index = Visited(self.fps)
        self.parent = array("q")
        self.parent_act = array("i")
        #: (index, state) of the level being expanded, the next position in it, and the next level
        self.frontier: Any = self._list()
        self.pos = 0
        self.nxt: Any = self._list()
        self.depth = 0
        #: why the exploration stopped early (a visitor's reason), if it did
        self.stopped: str | None = None
        self.started = False

    def __len__(self) -> int:
        return len(self.fps)

    def restore(self, data: dict[str, Any]) -> None:
        for k in self.FIELDS:
            setattr(self, k, data[k])
        self.frontier = self._list(self.frontier)
        self.nxt = self._list(self.nxt)
        self.index = Visited.of(self.fps)

    def add(self, fp: int, parent: int, act: int) -> int:
        i = len(self.fps)
        self.fps.append(fp)
        self.index.insert(i)
        self.parent.append(parent)
        self.parent_act.append(act)
        return i

    def path_to(self, i: int) -> list[int]:
        """The indices of the states from an initial one to ``i`` (along the parent pointers)."""
        path = []
        while i != -1:
            path.append(i)
            i = self.parent[i]
        path.reverse()
        return path

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, v: Visitor) -> "Exploration":
        """Explore (or continue exploring) until the frontier is empty or ``v`` stops it."""
        try:
            if not self.started:
                self._roots(v)
            while self.frontier and self.stopped is None:
                self.stopped = v.stop_level(self)
                if self.stopped is not None or self._level(v):
                    break
                self.frontier, self.nxt, self.pos = self.nxt, self._list(), 0
                if self.frontier:
                    self.depth += 1
                v.end_level(self)
        except Halt:
            pass
        return self

    def _roots(self, v: Visitor) -> None:
        for succ in v.roots():
            fp = succ[3]
            if fp in self.index:
                continue
            i = self.add(fp, -1, succ[0])
            v.on_state(i, -1, succ)
            self.frontier.append((i, succ[4]))
        self.started = True

    def _level(self, v: Visitor) -> bool:
        """Expand the frontier from ``pos`` on; True when a visitor stopped it."""
        index = self.index
        frontier = self.frontier
        nxt = self.nxt
        expand, admit, on_state = v.expand, v.admit, v.on_state
        # the hooks a visitor does not use are not called once per successor
        on_transition = v.on_transition if v.records_transitions() else None
        on_edge = v.on_edge if v.records_edges() else None
        get = index.get
        add = self.add
        v.begin_level(self)
        while self.pos < len(frontier):
            self.stopped = v.stop_state(self)
            if self.stopped is not None:
                return True
            i, s = frontier[self.pos]
            accepted = False
            for succ in expand(i, s):
                if on_transition is not None:
                    on_transition(i, succ)
                if succ[2] is not None:
                    continue
                accepted = True
                fp = succ[3]
                j = get(fp)
                if j is None:
                    if succ[4] is None:
                        raise AssertionError("an expander skipped a state the exploration has not stored")
                    if not admit(i, succ):
                        continue
                    j = add(fp, i, succ[0])
                    on_state(j, i, succ)
                    nxt.append((j, succ[4]))
                if on_edge is not None:
                    on_edge(i, j, succ)
            self.pos += 1
            self.stopped = v.after_state(self, i, accepted)
            if self.stopped is not None:
                return True
        return False


def explore(v: Visitor) -> Exploration:
    """Explore with visitor ``v`` from the machine's initial states."""
    return Exploration().run(v)
