"""Each suite's rule checks: a subject in, a Verdict with evidence out."""
