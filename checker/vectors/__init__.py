"""Conformance test vectors: format, generation, the adapter protocol and its runner.

* :mod:`.cases`: the case format, handler resolution, the typed encoding of states
  and inputs, running one case on the reference model, comparing answers;
* :mod:`.tracing`: which rule IDs a step exercises;
* :mod:`.generate`: deterministic generation of a suite;
* :mod:`.serve`: the reference interpreter (or a mutant) served over the protocol;
* :mod:`.runner`: driving an implementation's adapter process over the protocol;
* :mod:`.schemas`: the JSON Schemas shipped in ``checker/schemas/``.

The format is documented in ``docs/vectors.md``.
"""
