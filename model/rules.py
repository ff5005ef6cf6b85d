"""Rule IDs as data: ``@implements("AV-6")`` on the function or method that implements a rule.

Rule IDs are the spine of the project (spec text -> model function -> property ->
mutant -> vectors). A model function declares the rules it implements with this
decorator, which only records them (``fn.__rule_ids__``); conformance-vector tracing
(``checker.vectors.tracing``) reads that attribute to know which rules a step exercised.
This module imports nothing of the model, so every module (``config`` included) can use
it; :mod:`paraspec.model.core` re-exports it.
"""

from __future__ import annotations

import re
from typing import Callable, TypeVar

__all__ = ["implements", "rule_ids", "RULE_ID"]

#: the shape of a rule ID: ``AV-6``, ``INC-23``, ``TH-2``
RULE_ID = re.compile(r"[A-Z]{2,4}-\d+")

F = TypeVar("F", bound=Callable)


def implements(*ids: str) -> Callable[[F], F]:
    """Declare the rule IDs ``fn`` implements (in order, without repeats); returns ``fn``
    itself, unchanged but for its ``__rule_ids__``."""
    for rid in ids:
        if not isinstance(rid, str) or not RULE_ID.fullmatch(rid):
            raise ValueError(f"implements: {rid!r} is not a rule ID (like 'AV-6')")
    if not ids:
        raise ValueError("implements: name at least one rule ID")

    def deco(fn: F) -> F:
        fn.__rule_ids__ = tuple(dict.fromkeys(ids))
        return fn

    return deco


def rule_ids(fn: Callable) -> tuple[str, ...]:
    """The rule IDs ``fn`` declares with :func:`implements` (``()`` when none)."""
    return getattr(fn, "__rule_ids__", ())
