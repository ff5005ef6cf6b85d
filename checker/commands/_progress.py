"""Progress of ``paraspec check`` while it works, and each machine's verdicts when it is done.

In a terminal: a rich status line, updated as the search reports. Otherwise (CI logs,
pipes): a plain line ``<machine> @ <preset>: N states, depth D, R states/s, T s`` every
``EVERY`` seconds of a search (none for a search shorter than that). The reports
(``--json``, ``--junit``) are not touched; ``--quiet`` turns all of it off.
"""

from __future__ import annotations

import time
from collections import Counter

from rich.console import Console
from rich.markup import escape

from ..report import verdict_text
from ..results import Result

#: seconds between plain progress lines
EVERY = 3.0


def _line(label: str, states: int, depth: int, elapsed: float) -> str:
    rate = states / elapsed if elapsed > 0 else 0.0
    return f"{label}: {states:,} states, depth {depth}, {rate:,.0f} states/s, {elapsed:.0f} s"


class _Status:
    """A rich status in a terminal (``status``), nothing otherwise; ``start``/``stop`` around
    the work it reports on."""

    status = None

    def start(self) -> None:
        if self.status is not None:
            self.status.start()

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()


class Progress(_Status):
    """The progress display of one search (``start``/``stop`` around it; ``update`` is the
    engine's callback: states, depth, elapsed seconds)."""

    def __init__(self, console: Console, label: str, every: float = EVERY):
        self.console = console
        self.label = label  # plain text
        self.every = every
        self.status = console.status(escape(label) + ": starting") if console.is_terminal else None
        self.next = time.perf_counter() + every

    def update(self, states: int, depth: int, elapsed: float) -> None:
        if self.status is not None:
            self.status.update(escape(_line(self.label, states, depth, elapsed)))
            return
        now = time.perf_counter()
        if now >= self.next:
            self.next = now + self.every
            self.console.print(_line(self.label, states, depth, elapsed), markup=False, highlight=False,
                               soft_wrap=True)


class MultiProgress(_Status):
    """The progress display of several searches at once (``check --jobs``): in a terminal one
    status with a line per running search; otherwise each search's plain line every ``every``
    seconds of it, as :class:`Progress` prints it. ``update(i, ...)`` is fed by the workers'
    reports, ``done(i)`` when run ``i`` has its result."""

    def __init__(self, console: Console, labels: list[str], every: float = EVERY):
        self.console = console
        self.labels = labels
        self.every = every
        self.lines: dict[int, str] = {}
        self.next: dict[int, float] = {}
        self.finished = 0
        self.status = console.status(self._text()) if console.is_terminal else None

    def _text(self) -> str:
        head = f"{self.finished} of {len(self.labels)} runs done"
        return escape("\n".join([head] + [self.lines[i] for i in sorted(self.lines)]))

    def update(self, i: int, states: int, depth: int, elapsed: float) -> None:
        line = _line(self.labels[i], states, depth, elapsed)
        if self.status is not None:
            self.lines[i] = line
            self.status.update(self._text())
            return
        now = time.perf_counter()
        due = self.next.setdefault(i, now + self.every - elapsed)
        if now >= due:
            self.next[i] = now + self.every
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def done(self, i: int) -> None:
        self.finished += 1
        self.lines.pop(i, None)
        if self.status is not None:
            self.status.update(self._text())


def print_done(console: Console, r: Result) -> None:
    """One line with a machine's verdicts, as soon as its search is done."""
    counts = Counter(verdict_text(r, p.verdict) for p in r.properties)
    bad = [p.property.name for p in r.properties if not p.ok]
    text = (f"done {r.machine}" + (f" [mutant {r.mutant}]" if r.mutant else "") + f" @ {r.preset}: "
            + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
            + f" ({r.states:,} states, {r.elapsed:.1f} s)")
    if bad:
        text += "; not ok: " + ", ".join(bad)
    if r.error is not None:
        text += f"; model error: {r.error.message}"
    console.print(text, markup=False, highlight=False, soft_wrap=True)
