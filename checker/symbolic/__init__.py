"""The symbolic engine (Z3): parametric lemmas, machine encodings, BMC and k-induction."""
