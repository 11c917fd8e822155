"""Measuring the archive, kept apart from the code that serves it: the synthetic archive (`synth`),
the timed query mix (`bench`) and the load test (`loadtest`). Nothing here is imported by a page."""
