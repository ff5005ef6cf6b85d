"""paraspec as a pytest plugin (the ``pytest11`` entry point ``paraspec``).

Two ways in for a downstream repository:

* the ``paraspec`` fixture, in a test of its own::

      def test_inclusion(paraspec):
          paraspec.check("inclusion", preset="trio", set={"max_candidates": 1})

      @pytest.mark.parametrize("prop", paraspec_properties("rescue"))
      def test_rescue(paraspec, prop):
          paraspec.check("rescue", property=prop)

      def test_adapter(paraspec):
          paraspec.replay("vectors/", "python my_adapter.py")

  ``check`` fails the test when a property is violated, vacuous or unwitnessed (or the model
  raised), with the counterexample rendered step by step in the message; it returns the
  :class:`~paraspec.checker.results.Result`. ``replay`` fails on the first vector case the
  adapter does not pass (every failing case is listed) and returns the case results.

* a ``paraspec.toml`` file anywhere under the test paths: one pytest test per property of each
  ``[[check]]`` table and one per handler of each ``[[vectors]]`` table::

      [[check]]
      machine = "rescue"
      preset = "tiny"          # optional
      set = { n_collators = 3 }  # optional --set overrides
      mutant = "rsc_opt_out_ignored"  # optional: then the mutant's properties must FAIL

      [[vectors]]
      dir = "vectors"           # relative to the toml file
      adapter = "python adapter.py"
      machine = "halts"         # optional selection

  Each machine is explored once per table; the items report its property verdicts.
"""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ParaspecFixture", "PropertyFailure", "paraspec_properties", "failure_text"]


class PropertyFailure(AssertionError):
    """A property of a checked machine did not hold; the message carries the trace."""


def paraspec_properties(machine: str) -> list[str]:
    """The property names of ``machine``, for ``pytest.mark.parametrize``."""
    from .registry import properties_of

    return [p.name for p in properties_of(machine)]


def _why(pr) -> str:
    from .results import Verdict

    return {Verdict.VIOLATED: "violated", Verdict.VACUOUS: "vacuous (its witness never fired)",
            Verdict.UNWITNESSED: "unwitnessed (no reachable state satisfies it)"}.get(pr.verdict, pr.verdict)


def failure_text(result, pr) -> str:
    """Why property ``pr`` of ``result`` failed, with its trace step by step (when it has one)."""
    from .registry import build
    from .report import parameters_line
    from .timeline import of_trace, text

    p = pr.property
    lines = [f"{result.machine}.{p.name} ({', '.join(p.rules)}): {_why(pr)}", f"  {p.doc}",
             f"  checked: {parameters_line(result)}"]
    if not result.complete and pr.verdict != "violated":
        lines.append(f"  the search was bounded ({result.stopped}): a longer one may find it")
    if pr.trace is not None:
        try:
            view = build(result.machine, result.preset, result.mutant, dict(pr.trace.overrides)).view
        except Exception:  # the trace renders without the machine's view
            view = None
        lines.append(f"counterexample ({len(pr.trace)} step(s)):")
        lines.append(text(of_trace(pr.trace, view)))
    return "\n".join(lines)


def _run_check(machine: str, preset: str | None, overrides: dict | None, mutant: str | None,
               max_depth: int | None, max_states: int | None):
    from .explicit import Checker
    from .registry import build, properties_of

    m = build(machine, preset, mutant, {k: str(v) if not isinstance(v, str) else v
                                        for k, v in (overrides or {}).items()})
    checker = Checker(m).with_properties(properties_of(machine)).with_max_depth(max_depth) \
        .with_max_states(max_states)
    if mutant:
        from .registry import get_mutant

        checker = checker.with_stop_on_violation(get_mutant(mutant).kills)
    return checker.run()


class ParaspecFixture:
    """What the ``paraspec`` fixture gives a test: :meth:`check` and :meth:`replay`."""

    def check(self, machine: str, preset: str | None = None, set: dict | None = None,  # noqa: A002
              mutant: str | None = None, property: str | None = None,  # noqa: A002
              max_depth: int | None = None, max_states: int | None = None):
        """Explore ``machine`` exhaustively (on ``preset`` with ``set`` overrides) and fail the test
        unless every property (or the one named ``property``) holds. With ``mutant``: fail unless the
        mutant is caught by the properties it names. Returns the Result."""
        result = _run_check(machine, preset, set, mutant, max_depth, max_states)
        if property is not None and property not in {pr.property.name for pr in result.properties}:
            raise pytest.UsageError(f"machine {machine!r} has no property {property!r}")
        chosen = [pr for pr in result.properties if property is None or pr.property.name == property]
        if mutant:
            from .registry import get_mutant

            kills = get_mutant(mutant).kills
            survived = [k for k in kills if not any(pr.property.name == k and pr.verdict == "violated"
                                                    for pr in result.properties)]
            if survived:
                raise PropertyFailure(f"mutant {mutant} survived: {', '.join(survived)} not violated")
            return result
        bad = [pr for pr in chosen if not pr.ok]
        msgs = [failure_text(result, pr) for pr in bad]
        if result.error is not None:
            msgs.append(f"{machine}: the model raised: {result.error.message}")
        if msgs:
            raise PropertyFailure("\n\n".join(msgs))
        return result

    def replay(self, vector_dir: str | Path, adapter_cmd: str, machine: str | None = None,
               handler: str | None = None, timeout: float = 10.0, allow_unsupported: bool = False):
        """Run the vector suite in ``vector_dir`` through the adapter command ``adapter_cmd``; fail
        the test naming every case that does not pass. Returns the case results."""
        results = _replay(vector_dir, adapter_cmd, machine, handler, timeout)
        bad = _failed_cases(results, allow_unsupported)
        if bad:
            raise PropertyFailure(f"{len(bad)} of {len(results)} vector case(s) fail:\n"
                                  + "\n".join(f"  {r.status.upper()} {r.id}: {r.message}" for r in bad))
        return results


def _replay(vector_dir, adapter_cmd, machine, handler, timeout):
    from .vectors.runner import run_cases
    from .vectors.suite import load_suite

    cases = load_suite(str(vector_dir), [machine] if machine else (), [handler] if handler else ())
    if not cases:
        raise pytest.UsageError(f"{vector_dir}: no vector cases match")
    return run_cases(cases, adapter_cmd, timeout=timeout)


def _failed_cases(results, allow_unsupported: bool = False):
    from .vectors.runner import Status

    ok = (Status.PASS,) + ((Status.UNSUPPORTED,) if allow_unsupported else ())
    return [r for r in results if r.status not in ok]


@pytest.fixture
def paraspec() -> ParaspecFixture:
    """Check paraspec machines and replay vector suites from a test (see :mod:`checker.pytest_plugin`)."""
    return ParaspecFixture()


# -- paraspec.toml -------------------------------------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent):
    if file_path.name == "paraspec.toml":
        return ParaspecFile.from_parent(parent, path=file_path)
    return None


class ParaspecFile(pytest.File):
    def collect(self):
        try:
            data = tomllib.loads(self.path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise self.CollectError(f"{self.path}: {e}") from None
        for i, table in enumerate(data.get("check", [])):
            yield from self._checks(i, table)
        for i, table in enumerate(data.get("vectors", [])):
            yield from self._vectors(i, table)

    def _checks(self, i: int, table: dict):
        from .registry import UsageError, build, properties_of

        where = f"{self.path.name}: check[{i}]"
        if not isinstance(table, dict) or not isinstance(table.get("machine"), str):
            raise self.CollectError(f"{where}.machine: missing or not a string")
        sets = table.get("set", {})
        try:
            build(table["machine"], table.get("preset"), table.get("mutant"),
                  {k: str(v) for k, v in sets.items()})
        except UsageError as e:
            raise self.CollectError(f"{where}: {e}") from None
        run = _SharedRun(table)
        label = table["machine"] + (f"[{table['mutant']}]" if table.get("mutant") else "") \
            + (f"@{table['preset']}" if table.get("preset") else "")
        for p in properties_of(table["machine"]):
            yield PropertyItem.from_parent(self, name=f"{label}::{p.name}", run=run, prop=p.name)

    def _vectors(self, i: int, table: dict):
        where = f"{self.path.name}: vectors[{i}]"
        if not isinstance(table, dict) or not isinstance(table.get("dir"), str) \
                or not isinstance(table.get("adapter"), str):
            raise self.CollectError(f"{where}: needs dir and adapter (strings)")
        from .vectors.cases import VectorError
        from .vectors.suite import load_suite

        root = (self.path.parent / table["dir"]).resolve()
        try:
            cases = load_suite(str(root), [table["machine"]] if table.get("machine") else (),
                               [table["handler"]] if table.get("handler") else ())
        except VectorError as e:
            raise self.CollectError(f"{where}: {e}") from None
        shared = _SharedReplay(cases, table["adapter"], self.path.parent, float(table.get("timeout", 10)))
        for handler in sorted({c.handler for c in cases}):
            yield VectorItem.from_parent(self, name=f"vectors:{handler}", shared=shared, handler=handler)


class _SharedRun:
    """One exploration per ``[[check]]`` table, run when its first item runs."""

    def __init__(self, table: dict):
        self.table = table
        self._result = None

    def result(self):
        if self._result is None:
            t = self.table
            self._result = _run_check(t["machine"], t.get("preset"), t.get("set"), t.get("mutant"),
                                      t.get("max_depth"), t.get("max_states"))
        return self._result


class _SharedReplay:
    def __init__(self, cases, adapter: str, cwd: Path, timeout: float):
        self.cases, self.adapter, self.cwd, self.timeout = cases, adapter, cwd, timeout
        self._results = None

    def results(self):
        if self._results is None:
            from .vectors.runner import run_cases

            self._results = run_cases(self.cases, self.adapter, timeout=self.timeout, cwd=str(self.cwd))
        return self._results


class _Item(pytest.Item):
    """A paraspec item: a :class:`PropertyFailure` is shown as its message alone (no Python traceback)."""

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, PropertyFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"paraspec: {self.name}"


class PropertyItem(_Item):
    def __init__(self, *, run: _SharedRun, prop: str, **kw: Any):
        super().__init__(**kw)
        self.run, self.prop = run, prop

    def runtest(self) -> None:
        result = self.run.result()
        pr = next(p for p in result.properties if p.property.name == self.prop)
        mutant = self.run.table.get("mutant")
        if mutant:
            from .registry import get_mutant

            if self.prop in get_mutant(mutant).kills and pr.verdict != "violated":
                raise PropertyFailure(f"mutant {mutant} survived: {self.prop} is {pr.verdict}, not violated")
            return
        if not pr.ok:
            raise PropertyFailure(failure_text(result, pr))
        if result.error is not None:
            raise PropertyFailure(f"the model raised: {result.error.message}")


class VectorItem(_Item):
    def __init__(self, *, shared: _SharedReplay, handler: str, **kw: Any):
        super().__init__(**kw)
        self.shared, self.handler = shared, handler

    def runtest(self) -> None:
        results = [r for r in self.shared.results() if r.handler == self.handler]
        bad = _failed_cases(results)
        if bad:
            raise PropertyFailure(f"{len(bad)} of {len(results)} case(s) of {self.handler} fail "
                                  f"(adapter {shlex.quote(self.shared.adapter)}):\n"
                                  + "\n".join(f"  {r.status.upper()} {r.id}: {r.message}" for r in bad))

