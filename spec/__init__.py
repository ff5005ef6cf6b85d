"""The normative text: one Markdown document per protocol area (package data, read
through :mod:`importlib.resources` as ``paraspec.spec``). No code lives here."""
