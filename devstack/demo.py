"""`ugc demo`: the whole story on a running stack, through the public API (ugc_client), with readable output."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from api.auth import issue_token
from devstack.apiclient import wait_with_progress
from devstack.demo_meta import run_meta_demo
from devstack.samples import SAMPLE_ADS, make_sample_video
from models.schemas.creatives import CreativeOut
from settings import Settings
from ugc_client import UgcClient, UgcClientError

console = Console()


def _wait_creative(
    client: UgcClient, creative_id: uuid.UUID, done: Callable[[CreativeOut], bool], what: str, timeout: float = 300
) -> CreativeOut:
    deadline = time.monotonic() + timeout
    with console.status(what):
        while time.monotonic() < deadline:
            creative = client.get_creative(creative_id)
            if done(creative):
                return creative
            time.sleep(0.5)
    raise UgcClientError(f"timed out: {what}")


def _ui(settings: Settings, workflow_id: str) -> str:
    return (
        f"http://127.0.0.1:{settings.temporal_ui_port}/namespaces/{settings.temporal_namespace}/workflows/{workflow_id}"
    )


def run_demo(settings: Settings, api_url: str) -> None:
    """Benchmarks → a client video analyzed after its 5th conversion → forced re-analysis → clips → campaigns."""
    workdir = settings.data_dir / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    with (
        UgcClient(api_url, timeout=300) as anon,
        UgcClient(api_url, issue_token(settings, "demo-brand-a"), timeout=300) as a,
        UgcClient(api_url, issue_token(settings, "demo-admin", admin=True), timeout=300) as admin,
    ):
        console.rule("1. the benchmark library")
        library = anon.list_benchmarks(limit=10)
        table = Table("benchmark", "category", "CVR", "α / β", "analysis")
        for item in library.items:
            table.add_row(
                item.creative_name,
                item.product_category,
                f"{item.market_cvr or 0:.1%}",
                f"{item.bayesian_alpha or 0:.0f} / {item.bayesian_beta or 0:.0f}",
                item.analysis_status,
            )
        console.print(table, f"{library.total} benchmarks (seed more with `ugc seed-benchmarks`)")

        console.rule("2. a client video, analyzed after its 5th conversion")
        video = make_sample_video(SAMPLE_ADS[0], workdir / "client-ad.mp4")
        created = a.upload_client_video(video, creative_name="Brand A — serum teaser", product_category="skincare")
        creative_id, workflow_id = created.creative_id, created.workflow_id
        _wait_creative(a, creative_id, lambda c: c.status != "pending", "probing the upload")
        for day in range(1, 5):
            a.report_creative_performance(creative_id, event_id=f"day-{day}", impressions=400, clicks=20, conversions=1)
        time.sleep(1)
        after_four = a.get_creative(creative_id)
        console.print(
            f"after 4 conversions: analysis [bold]{after_four.analysis_status}[/], {len(after_four.analyses)} analyses"
        )
        a.report_creative_performance(creative_id, event_id="day-5", impressions=400, clicks=20, conversions=1)
        analyzed = _wait_creative(
            a, creative_id, lambda c: c.analysis_status == "analyzed", "5th conversion: analyzing"
        )
        latest = analyzed.analyses[-1]
        console.print(f"after the 5th: [green]analyzed[/] ({latest.model}): {latest.result['summary']}")
        console.print(f"tags: {', '.join(analyzed.tags)}")

        console.rule("3. an admin forces a re-analysis")
        admin.force_analyze(creative_id)
        again = _wait_creative(
            a, creative_id, lambda c: len(c.analyses) >= 2 and c.analysis_status == "analyzed", "re-analyzing"
        )
        console.print(f"analyses: {', '.join(x.trigger for x in again.analyses)}")
        access = a.generate_client_video_access_url(creative_id)
        console.print(f"owner's presigned URL (expires in {access.expires_in} s): {access.video_url[:80]}...")

        console.rule("4. a video asset cut into clips")
        horizontal = next(ad for ad in SAMPLE_ADS if ad.width > ad.height)
        source = make_sample_video(horizontal, workdir / "asset.mp4")
        asset = a.upload_video_asset(source, name="Brand A — long cut", product_category="skincare")
        prepared = wait_with_progress(a, asset.workflow_id, timeout=900)
        if prepared.status != "COMPLETED":
            raise UgcClientError(f"clip preparation {prepared.status}: {prepared.failure}")
        table = Table("clip", "span", "variant", "status", "size", "cuts/5s", "audio")
        for clip in a.list_clips(asset.video_asset_id):
            f = clip.features
            table.add_row(
                str(clip.id)[:8],
                f"{clip.start_s:.1f}–{clip.end_s:.1f} s",
                clip.variant,
                clip.status,
                f"{f.get('width')}x{f.get('height')}" if f else "-",
                f"{f.get('cuts_per_5s', 0):.1f}" if f else "-",
                str(f.get("has_audio")) if f else "-",
            )
        console.print(table)

        console.rule("5. orchestrated for three platforms")
        body = a.orchestrate_campaigns_for_video(asset.video_asset_id, daily_budget_cents=15_000)
        table = Table("platform", "best clip", "score", "candidates", "draft campaign", "new?")
        campaigns = {c.platform: c for c in body.campaigns}
        for d in body.decisions:
            c = campaigns[d.platform]
            table.add_row(
                d.platform,
                str(d.clip_id)[:8],
                f"{d.score:.3f}",
                str(d.num_candidates),
                c.name,
                "yes" if c.created else "existing",
            )
        console.print(table)

        console.rule("6. published to Meta (the local fake), simulated days synced, budgets moving")
        meta_workflows = run_meta_demo(settings, a, admin, [c.campaign_id for c in body.campaigns])

        console.rule("where to look in the Temporal UI")
        for wf in (workflow_id, asset.workflow_id, *meta_workflows):
            console.print(f"  {_ui(settings, wf)}")
        console.print(f"  {_ui(settings, '')[:-1]}  (all runs, retries and histories)")
        # the custom search attributes (workflows/search_attributes.py), for the UI's search box
        console.print('  search: UgcOwner = "demo-brand-a"   ·   UgcPlatform = "tiktok"')
        console.print(f'  search: UgcVideoAssetId = "{asset.video_asset_id}"')
        if settings.api_metrics_port or settings.worker_metrics_port:
            console.rule("metrics")
            for name, port in (("API", settings.api_metrics_port), ("worker", settings.worker_metrics_port)):
                if port:
                    console.print(f"  {name}: curl -s http://{settings.metrics_host}:{port}/metrics | grep ^ugc_")
