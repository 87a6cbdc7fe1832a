"""Deterministic orchestration only: one @workflow.defn class per file; the list is in `catalog`."""
