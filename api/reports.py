"""Result reports: the writer lives in models/reports.py (the Meta insights sync counts through it too)."""

from models.reports import count_once

__all__ = ["count_once"]
