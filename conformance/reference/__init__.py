"""Reference implementations that follow every conformance rule, each with one defect switch per rule."""
