"""The field values of docs/contract/ are accepted as written: `source_platform` is a validated, normalized slug."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.schemas.benchmarks import BenchmarkFields

SEED_FIELDS = {
    "creative_name": "Glow serum", "product_category": "skincare", "market_cvr": 0.05,
    "market_longevity_days": 30, "avg_daily_clicks": 1000,
}  # fmt: skip


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("facebook_ad_library", "facebook_ad_library"),  # docs/contract/market-ingestion.md's example
        ("Facebook Ad Library", "facebook_ad_library"),
        ("tiktok-creative-center", "tiktok_creative_center"),
        ("TikTok", "tiktok"),
        ("snapchat", "snapchat"),
    ],
)
def test_source_platform_accepts_any_source_slug(given: str, stored: str) -> None:
    assert BenchmarkFields.model_validate({**SEED_FIELDS, "source_platform": given}).source_platform == stored


@pytest.mark.parametrize("given", ["", "   ", "ad/library", "x" * 51, "drop table;", "ünïcode"])
def test_source_platform_refuses_what_is_not_a_slug(given: str) -> None:
    with pytest.raises(ValidationError, match="source slug"):
        BenchmarkFields.model_validate({**SEED_FIELDS, "source_platform": given})


def test_source_platform_defaults_to_other() -> None:
    assert BenchmarkFields.model_validate(SEED_FIELDS).source_platform == "other"
