"""`ugc seed-benchmarks`: sample ads made locally with FFmpeg, uploaded through the API as benchmarks."""

from __future__ import annotations

import httpx
from rich.console import Console
from rich.table import Table

from api.auth import issue_token
from devstack.apiclient import ApiError, start_benchmark_ingest, wait_for_workflow
from devstack.samples import SAMPLE_ADS, SampleAd, make_sample_video
from settings import Settings

console = Console()


def _fields(ad: SampleAd) -> dict[str, object]:
    return {
        "creative_name": ad.name,
        "product_category": ad.product_category,
        "source_platform": ad.source_platform,
        "market_cvr": ad.market_cvr,
        "market_longevity_days": ad.market_longevity_days,
        "avg_daily_clicks": ad.avg_daily_clicks,
        "hook_type": ad.hook_type,
        "emotion": ad.emotion,
        "pacing": ad.pacing,
        "target_audience_pain": ad.target_audience_pain,
    }


def seed_benchmarks(settings: Settings, api_url: str) -> None:
    """Make each sample ad, start all ingests, then follow them; prints a summary table."""
    samples_dir = settings.data_dir / "samples"
    samples_dir.mkdir(parents=True, exist_ok=True)
    token = issue_token(settings, "ugc-seed", admin=True)
    table = Table("benchmark", "category", "video", "status", "alpha / beta", title="sample benchmarks")
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=300) as client:
        started = []
        with console.status("generating sample ads with FFmpeg ...") as status:
            for ad in SAMPLE_ADS:
                status.update(f"generating {ad.name} ({ad.width}x{ad.height}, {ad.duration_s:.0f}s, {ad.pacing})")
                path = make_sample_video(ad, samples_dir / f"{ad.seed:02d}-{ad.pacing}.mp4")
                started.append((ad, start_benchmark_ingest(client, _fields(ad), file=path)))
        for ad, answer in started:
            try:
                state = wait_for_workflow(client, answer["workflow_id"], timeout=600)
            except ApiError as exc:
                table.add_row(ad.name, ad.product_category, "-", f"[red]{exc}[/]", "-")
                continue
            result = state.get("result") or {}
            prior = f"{result.get('bayesian_alpha', 0):.0f} / {result.get('bayesian_beta', 0):.0f}" if result else "-"
            video = f"{ad.width}x{ad.height} {ad.duration_s:.0f}s"
            table.add_row(ad.name, ad.product_category, video, state["status"], prior)
    console.print(table)
