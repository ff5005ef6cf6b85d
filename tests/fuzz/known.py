"""Known crash classes of issue 17, in one place, each with a minimal reproducer.

A fuzz test that hits only crashes listed here ends as xfail (non-strict), naming the entries it hit;
a crash not listed here fails the test. As fixes land, entries stop being hit (the tests pass) and
are deleted from this list. ``sig`` is a regular expression matched against the crash signature
``Type@file:line`` (the innermost frame inside paraspec; see ``harness.crash_site``), "Hang", or
"exit 2 with N-line stderr"; ``channels`` limits an entry to some channels (empty: any).
"""

from __future__ import annotations

import re

#: name -> (channels, kind, signature regex, reproducer)
KNOWN: dict[str, tuple[tuple[str, ...], str, str, str]] = {
}


def match(channel: str, kind: str, sig: str, outcome) -> str | None:
    for name, (channels, k, pattern, _repro) in KNOWN.items():
        if k == kind and (not channels or channel in channels) and re.search(pattern, sig):
            return name
    return None
