"""Security detectors: pure functions over a normalised span (and small state objects) returning alerts."""
