"""Embedded services for local use and tests: Temporal dev server, PostgreSQL, S3 — all from PyPI."""

from devstack.stack import DevStack, StackError

__all__ = ["DevStack", "StackError"]
