"""The compact structures of the explicit engine (``checker.visited``) and the plain
progress lines of ``paraspec check`` when stdout is not a terminal."""

import io
import random
from array import array

import attrs
import numpy as np
from rich.console import Console

from paraspec.checker.commands._progress import Progress
from paraspec.checker.visited import StateList, Visited


def test_visited_table_agrees_with_a_dict_while_it_grows_and_when_rebuilt():
    rnd = random.Random(7)
    fps = array("Q")
    table = Visited(fps)
    ref = {}
    for k in range(20_000):
        key = rnd.getrandbits(64) if k % 3 else k * 4096  # structured keys (layout codes) too
        assert table.get(key) == ref.get(key)
        if key not in ref:
            ref[key] = len(fps)
            fps.append(key)
            table.insert(ref[key])
    assert len(table) == len(ref)
    rebuilt = Visited.of(fps)
    absent = [rnd.getrandbits(64) for _ in range(500)]
    for key, i in ref.items():
        assert table.get(key) == i and rebuilt.get(key) == i
    assert not any(key in rebuilt for key in absent if key not in ref)
    mask = rebuilt.contains_many(np.array(list(ref)[:500] + absent, dtype=np.uint64))
    assert mask[:500].all() and not mask[500:].any()


@attrs.frozen
class S:
    x: int
    t: tuple = ()


def test_state_list_gives_back_what_was_appended_in_order():
    items = [(i * 3, S(i, (i, None))) for i in range(2 * StateList.CHUNK + 17)]
    sl = StateList()
    for pair in items:
        sl.append(pair)
    assert len(sl) == len(items) and sl.chunks and all(isinstance(c, bytes) for c in sl.chunks)
    assert [sl[k] for k in range(len(items))] == items
    assert sl[5:9] == items[5:9] and list(sl) == items and sl[-1] == items[-1]


def test_unpicklable_states_are_kept_as_they_are():
    items = [(i, (lambda i=i: i)) for i in range(StateList.CHUNK + 1)]
    sl = StateList(items)
    assert sl.plain and [s for _, s in sl] == [s for _, s in items]


def test_progress_is_plain_lines_off_a_terminal():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=200)
    p = Progress(console, "inclusion [x] @ tiny", every=0)
    p.start()
    p.update(12_345, 7, 2.0)
    p.stop()
    assert buf.getvalue() == "inclusion [x] @ tiny: 12,345 states, depth 7, 6,172 states/s, 2 s\n"


def test_state_list_forgets_the_chunks_a_forward_reader_has_passed():
    items = [(i, S(i)) for i in range(3 * StateList.CHUNK + 5)]
    sl = StateList(items)
    sl.forget_before(2 * StateList.CHUNK + 1)
    assert sl.chunks[0] is None and sl.chunks[1] is None and sl.chunks[2] is not None
    assert [sl[k] for k in range(2 * StateList.CHUNK, len(items))] == items[2 * StateList.CHUNK:]
    sl.forget_before(0)  # never brings a chunk back nor drops a later one
    assert sl.chunks[2] is not None


def test_successors_leave_no_reference_cycles_behind():
    """The engines run with the cyclic garbage collector off, so a step must not leave cycles: a
    rejection kept in the generator's own frame (``except Rejected as r: t = r``) ties the frame,
    the exception and its traceback into a cycle per rejected input, and inclusion at tiny grew to
    1.5 GB instead of about 140 MB."""
    import gc

    from paraspec.checker.registry import build, load_all
    from paraspec.model.core import Rejected

    load_all()
    m = build("inclusion", "tiny")
    states = list(m.init())
    for _ in range(3):  # a few levels, so some inputs are rejected
        states = [t for s in states[:20] for _, _, t in m.successors(s) if not isinstance(t, Rejected)]
    gc.collect()
    gc.disable()
    try:
        rejected = 0
        for s in states[:50]:
            for _, _, t in m.successors(s):
                rejected += isinstance(t, Rejected)
        assert rejected > 0
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_search_holds_little_beyond_its_stored_states():
    """Peak of the Python objects a search allocates (tracemalloc), on the first 6,000 states of
    availability at tiny: the fingerprint memo used to keep 65,536 sub-values (and their texts)
    alive, 11 MB here (1.9 KB a state; 0.55 KB now) and most of the search's peak (388 MB per
    million states in ``benchmarks/memory.py``); a stored state costs about 30 bytes."""
    import tracemalloc

    from paraspec.checker import fingerprint as F
    from paraspec.checker.explicit import Checker
    from paraspec.checker.registry import build, load_all, properties_of

    load_all()
    m = build("availability", "tiny")
    c = Checker(m).with_properties(properties_of("availability")).with_engine("explicit")
    c = c.with_max_states(6_000)
    F._BY_ID.clear()
    F._MEMO.clear()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        r = c.run()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert r.states >= 6_000
    assert peak < 1_000 * r.states, f"{peak / 2**20:.1f} MB for {r.states} states"
