"""The symbolic engine (Z3).

* :mod:`.lemmas` — parametric lemmas on the threshold and scheduling arithmetic, proved
  for every ``n`` on the model's own functions (``paraspec prove``, ``paraspec list``);
* :mod:`.symexec`, :mod:`.schema`, :mod:`.domains`, :mod:`.encoding` — the machines'
  transition relations as Z3 formulas, obtained by running the model's code on symbolic
  values (mutants included); :mod:`.crosscheck` checks an encoding against ``step`` on
  the explicitly reachable states;
* :mod:`.bmc` — bounded model checking (shortest counterexamples, replayed on the
  Python model) and k-induction with simple-path strengthening, assuming (once proved)
  the auxiliary invariants a machine declares (``Machine.auxiliary_invariants``);
* :mod:`.counting` — the counting abstractions machines declare
  (``Machine.counting_models``), with ``n`` symbolic, and their soundness check against
  the bit-level machines;
* :mod:`.agreement` — explicit vs symbolic verdicts at a bound;
* :mod:`.run` — what ``paraspec prove`` and the benchmark run.
"""
