"""The reference interpreter as a tool: scenarios for every machine.

* :mod:`.contract`: what the machine contract gives a scenario (action classes, the
  state's JSON, queries and selectors);
* :mod:`.schema`: one JSON Schema per machine, generated from the contract, and the
  validation of a scenario file against it;
* :mod:`.plan`: a validated scenario file as steps of typed actions;
* :mod:`.engine`: running the steps (states, events, expectations) and writing the
  run as ITF or JSON;
* :mod:`.paths`: state paths (``cores.0.pending.para``) and compact diffs;
* :mod:`.repl`: the interactive stepper of ``paraspec repl``.
"""
