"""Queries and selectors: read-only views of a machine's state that scenarios ask for.

A *query* answers a question about a state without changing it, the way an
implementation's runtime API does (``availability_cores``, ``validator_groups``); a
scenario step may ask one and assert on the answer. A *selector* names a set of
validators by its meaning in the state ("the group assigned to core 0", "the
validators that have not yet voted") so a scenario can use it as an action's argument
without a first run to learn the membership.

Both are declared by the machine's own module (any module under ``model/``), for
example::

    from paraspec.model.queries import query, selector

    @query("runtime", "validators", sdk="validators")
    def _validators(machine, state):
        return state.validators

    @selector("runtime", "group_of_core", params=("core",))
    def _group_of_core(machine, state, core):
        return ...  # validator indices, ascending

A query's answer is a plain value (ints, strings, lists, dicts, attrs records); a
selector's is a tuple of validator indices in ascending order. The functions read the
model's own accessors (no second copy of a rule). Pure data and functions: the
interpreter (``checker.interp``) and the adapter protocol read the registries.
"""

from __future__ import annotations

from typing import Any, Callable

import attrs

__all__ = ["Query", "QUERIES", "SELECTORS", "query", "selector", "queries_for", "selectors_for"]


@attrs.frozen
class Query:
    machine: str
    name: str
    fn: Callable[..., Any] = attrs.field(eq=False, repr=False)
    #: the integer parameters the query takes, in order
    params: tuple[str, ...] = ()
    #: parameters that may be left out (the function's default applies)
    optional: tuple[str, ...] = ()
    doc: str = ""
    #: the name of the polkadot-sdk ``ParachainHost`` runtime-API method it mirrors ("" if none)
    sdk: str = ""

    def __call__(self, machine: Any, state: Any, **params: int) -> Any:
        return self.fn(machine, state, **params)


#: machine name -> query name -> Query
QUERIES: dict[str, dict[str, Query]] = {}
#: machine name -> selector name -> Query (answers: validator indices, ascending)
SELECTORS: dict[str, dict[str, Query]] = {}


def _register(table: dict, machine: str, name: str, params: tuple[str, ...], optional: tuple[str, ...],
              doc: str, sdk: str) -> Callable:
    def deco(fn: Callable) -> Callable:
        text = doc or " ".join((fn.__doc__ or "").split())
        q = Query(machine, name, fn, tuple(params), tuple(optional), text, sdk)
        old = table.setdefault(machine, {}).get(name)
        if old is not None and old.fn is not fn:
            raise ValueError(f"{machine}: {name!r} declared twice")
        table[machine][name] = q
        return fn
    return deco


def query(machine: str, name: str, params: tuple[str, ...] = (), optional: tuple[str, ...] = (),
          doc: str = "", sdk: str = "") -> Callable:
    """Declare a query of ``machine`` (decorator of ``fn(machine, state, **params)``)."""
    return _register(QUERIES, machine, name, params, optional, doc, sdk)


def selector(machine: str, name: str, params: tuple[str, ...] = (), optional: tuple[str, ...] = (),
             doc: str = "") -> Callable:
    """Declare a selector of ``machine`` (decorator of ``fn(machine, state, **params)``
    returning validator indices)."""
    return _register(SELECTORS, machine, name, params, optional, doc, "")


def queries_for(machine: str) -> dict[str, Query]:
    return dict(QUERIES.get(machine, {}))


def selectors_for(machine: str) -> dict[str, Query]:
    return dict(SELECTORS.get(machine, {}))
