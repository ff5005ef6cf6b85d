"""Effect adequacy: every field a handler can change is changed by some case.

Mutation adequacy only sees the mistakes someone wrote a mutant for. An implementation
that *forgets* an effect (a bitfield whose vote is never recorded, a counter never
advanced, a query whose answer is dropped) passes every case in which that effect is
invisible: a rejection, or an accepted input that happens not to touch the field. So for
every handler the generator also measures:

* the **fields the handler can change**: the generalized JSON paths (array indices
  written ``[]``, so ``paras[].votes``) whose value differs between the pre- and
  post-state of some accepted transition of the pool, and ``output.ok...`` for the
  leaves of a non-null answer;
* the **fields its cases change**: the same over the handler's cases.

Effect coverage is the second over the first. The generator adds an ``effect_NNN`` case
(the first pool transition that changes a field no case changes yet) until it is 100%.
A field that only transitions into an already-explored state change is not seen; the
pool's first-discovery edges are what is measured.
"""

from __future__ import annotations

from typing import Any

__all__ = ["changed_fields", "answer_fields", "case_effect"]


def changed_fields(pre: Any, post: Any, path: str = "") -> set[str]:
    """The generalized paths where two JSON values differ (``$`` for the whole value)."""
    if isinstance(pre, dict) and isinstance(post, dict) and pre.keys() == post.keys():
        out: set[str] = set()
        for k in pre:
            if pre[k] != post[k]:
                out |= changed_fields(pre[k], post[k], f"{path}.{k}" if path else k)
        return out
    if isinstance(pre, list) and isinstance(post, list) and len(pre) == len(post):
        out = set()
        for x, y in zip(pre, post):
            if x != y:
                out |= changed_fields(x, y, f"{path}[]")
        return out
    return set() if pre == post and type(pre) is type(post) else {path or "$"}


def answer_fields(value: Any, path: str = "output.ok") -> set[str]:
    """The generalized paths of the non-null leaves of an answer (an answer that is
    always ``null`` has none: there is nothing to drop)."""
    if value is None:
        return set()
    if isinstance(value, dict):
        out: set[str] = set()
        for k, v in value.items():
            out |= answer_fields(v, f"{path}.{k}")
        return out or {path}
    if isinstance(value, list):
        out = set()
        for v in value:
            out |= answer_fields(v, f"{path}[]")
        return out or {path}
    return {path}


def case_effect(pre_json: Any, answer: dict) -> set[str]:
    """The fields an accepted case's answer changes or reports; none for a rejection."""
    if "ok" not in answer["output"]:
        return set()
    return changed_fields(pre_json, answer["post_state"]) | answer_fields(answer["output"]["ok"])
