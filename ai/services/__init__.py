"""Writes of the ai app, split by sub-domain: settings, traces, learning; answering lives in ``replies``."""
