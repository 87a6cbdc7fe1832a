"""`ugc seed-benchmarks`: sample ads made locally with FFmpeg, uploaded through the API as benchmarks."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from devstack.apiclient import local_client, wait_with_progress
from devstack.samples import SAMPLE_ADS, make_sample_video
from models.schemas.benchmarks import IngestBenchmarkOutput
from settings import Settings
from ugc_client import UgcClientError

console = Console()


def seed_benchmarks(settings: Settings, api_url: str) -> None:
    """Make each sample ad, start all ingests, then follow them; prints a summary table."""
    samples_dir = settings.data_dir / "samples"
    samples_dir.mkdir(parents=True, exist_ok=True)
    table = Table("benchmark", "category", "video", "status", "alpha / beta", title="sample benchmarks")
    with local_client(settings, api_url, subject="ugc-seed", timeout=300) as client:
        started = []
        with console.status("generating sample ads with FFmpeg ...") as status:
            for ad in SAMPLE_ADS:
                status.update(f"generating {ad.name} ({ad.width}x{ad.height}, {ad.duration_s:.0f}s, {ad.pacing})")
                path = make_sample_video(ad, samples_dir / f"{ad.seed:02d}-{ad.pacing}.mp4")
                answer = client.ingest_benchmark_video(
                    file_content=path, creative_name=ad.name, product_category=ad.product_category,
                    source_platform=ad.source_platform, market_cvr=ad.market_cvr,
                    market_longevity_days=ad.market_longevity_days, avg_daily_clicks=ad.avg_daily_clicks,
                    hook_type=ad.hook_type, emotion=ad.emotion, pacing=ad.pacing,
                    target_audience_pain=ad.target_audience_pain,
                )  # fmt: skip
                started.append((ad, answer))
        for ad, answer in started:
            try:
                state = wait_with_progress(client, answer.workflow_id, timeout=600)
            except UgcClientError as exc:
                table.add_row(ad.name, ad.product_category, "-", f"[red]{exc}[/]", "-")
                continue
            prior = "-"
            if state.status == "COMPLETED":
                result = IngestBenchmarkOutput.model_validate(state.result)
                prior = f"{result.bayesian_alpha:.0f} / {result.bayesian_beta:.0f}"
            video = f"{ad.width}x{ad.height} {ad.duration_s:.0f}s"
            table.add_row(ad.name, ad.product_category, video, state.status, prior)
    console.print(table)
