"""The `ugc` command: run the stack, the worker and the API; mint tokens; ingest benchmarks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from devstack.cli_learning import recommend, sync_insights, train_rules
from settings import get_settings

if TYPE_CHECKING:
    from models.schemas.common import WorkflowStatus

app = typer.Typer(
    help="ugc-engine: durable backend for UGC video ads (Temporal + FastAPI).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()


@app.command()
def up(
    headless: Annotated[bool, typer.Option(help="run Temporal without its web UI")] = False,
    seed: Annotated[bool, typer.Option(help="ingest sample benchmarks on a fresh data directory")] = True,
) -> None:
    """Start everything locally: Temporal, PostgreSQL, S3 (unless configured), migrations, worker, API."""
    from devstack.runner import run_up
    from devstack.seeding import seed_benchmarks

    raise typer.Exit(run_up(get_settings(), headless=headless, seed=seed_benchmarks if seed else None))


@app.command()
def worker(
    queues: Annotated[
        str | None,
        typer.Option(help="'all' (default: WORKER_QUEUES) or a comma list of main, media, transfer"),
    ] = None,
) -> None:
    """Run the Temporal worker until Ctrl-C or SIGTERM: ugc-main (workflows, database, Claude),
    ugc-media (FFmpeg) and ugc-transfer (video uploads), all in one process or split apart."""
    import worker as worker_module

    asyncio.run(worker_module.main(queues))


@app.command()
def api(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Serve the HTTP API (uvicorn)."""
    import uvicorn

    # log_config None: uvicorn's own loggers keep the project's handler (JSON lines or console), set by serve_app
    uvicorn.run("api.main:serve_app", factory=True, host=host, port=port, log_config=None)


@app.command()
def migrate() -> None:
    """Apply database migrations (`alembic upgrade head`) to DATABASE_URL."""
    from clients import require
    from models.migrate import upgrade_head

    upgrade_head(require(get_settings().database_url, "DATABASE_URL"))
    console.print("database is at the latest revision")


@app.command("temporal-setup")
def temporal_setup() -> None:
    """Register the custom search attributes (UgcOwner, UgcCreativeId, ...) on TEMPORAL_ADDRESS's namespace."""
    from clients import connect_temporal
    from workflows.search_attributes import register_search_attributes

    async def _run() -> list[str]:
        return await register_search_attributes(await connect_temporal(get_settings()))

    added = asyncio.run(_run())
    console.print(f"added search attributes: {', '.join(added)}" if added else "search attributes already registered")


@app.command()
def token(
    sub: Annotated[str, typer.Option(help="the user id (JWT `sub`)")],
    admin: Annotated[bool, typer.Option("--admin", help="grant the admin role")] = False,
    ttl: Annotated[int, typer.Option(help="lifetime in seconds", min=1, max=30 * 24 * 3600)] = 3600,
) -> None:
    """Print a JWT signed with the configured key, for local use."""
    from api.auth import issue_token

    typer.echo(issue_token(get_settings(), sub, admin=admin, ttl_seconds=ttl))


@app.command("ingest-benchmark")
def ingest_benchmark(
    name: Annotated[str, typer.Option(help="creative name")],
    category: Annotated[str, typer.Option(help="product category, e.g. skincare")],
    cvr: Annotated[float, typer.Option(help="market conversion rate, 0..1")],
    days: Annotated[int, typer.Option(help="days the ad ran (longevity)")],
    clicks: Annotated[float, typer.Option(help="average clicks per day")],
    url: Annotated[str | None, typer.Option(help="http(s) URL of the video")] = None,
    file: Annotated[Path | None, typer.Option(help="local video file", exists=True, dir_okay=False)] = None,
    platform: Annotated[str, typer.Option(help="tiktok|instagram|youtube|facebook|other")] = "other",
    hook_type: Annotated[str | None, typer.Option(help="e.g. question, problem-agitate")] = None,
    emotion: Annotated[str | None, typer.Option(help="e.g. curiosity, relief")] = None,
    pacing: Annotated[str | None, typer.Option(help="fast|medium|slow")] = None,
    pain: Annotated[str | None, typer.Option(help="target audience pain")] = None,
    api_url: Annotated[str | None, typer.Option("--api", help="API base URL (default: local)")] = None,
    token: Annotated[str | None, typer.Option(envvar="UGC_TOKEN", help="admin JWT (default: minted locally)")] = None,
) -> None:
    """Ingest one market benchmark (URL or file) and follow its workflow to the end."""
    from devstack.apiclient import CLIENT_ERRORS, local_client, wait_with_progress

    if (url is None) == (file is None):
        raise typer.BadParameter("give exactly one of --url or --file")
    try:
        with local_client(get_settings(), api_url, token) as client:
            started = client.ingest_benchmark_video(
                url, file_content=file, creative_name=name, product_category=category, source_platform=platform,
                market_cvr=cvr, market_longevity_days=days, avg_daily_clicks=clicks, hook_type=hook_type,
                emotion=emotion, pacing=pacing, target_audience_pain=pain,
            )  # fmt: skip
            console.print(f"creative [bold]{started.creative_id}[/] · workflow {started.workflow_id}")
            state = wait_with_progress(client, started.workflow_id)
    except CLIENT_ERRORS as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    _print_outcome(state)


def _print_outcome(state: WorkflowStatus) -> None:
    if state.status != "COMPLETED":
        failure = state.failure or {}
        console.print(f"[red]{state.status}[/] {failure.get('type')}: {failure.get('message')}")
        raise typer.Exit(1)
    table = Table(show_header=False)
    for key, value in (state.result or {}).items():
        table.add_row(str(key), str(value))
    console.print(table)


@app.command("seed-benchmarks")
def seed_benchmarks_command(
    api_url: Annotated[str | None, typer.Option("--api", help="API base URL (default: local)")] = None,
) -> None:
    """Generate a handful of distinct sample ads with FFmpeg and ingest them as benchmarks."""
    from devstack.seeding import seed_benchmarks

    settings = get_settings()
    seed_benchmarks(settings, api_url or f"http://{settings.api_host}:{settings.api_port}")


@app.command()
def demo(
    api_url: Annotated[str | None, typer.Option("--api", help="API base URL (default: local)")] = None,
) -> None:
    """On a running stack (`make run`): the whole story, from benchmarks to draft campaigns."""
    from devstack.apiclient import CLIENT_ERRORS
    from devstack.demo import run_demo

    settings = get_settings()
    try:
        run_demo(settings, api_url or f"http://{settings.api_host}:{settings.api_port}")
    except CLIENT_ERRORS as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


app.command()(recommend)
app.command("train-rules")(train_rules)
app.command("sync-insights")(sync_insights)


@app.command()
def upload(
    file: Annotated[Path, typer.Argument(help="the video file", exists=True, dir_okay=False)],
    asset: Annotated[bool, typer.Option("--asset", help="a video asset to cut into clips, not a creative")] = False,
    name: Annotated[str | None, typer.Option(help="creative or asset name (default: the file's name)")] = None,
    category: Annotated[str | None, typer.Option(help="product category, e.g. skincare")] = None,
    tags: Annotated[str | None, typer.Option(help="comma-separated tags (creatives)")] = None,
    wait: Annotated[bool, typer.Option(help="follow a video asset's clip workflow to its end")] = True,
    api_url: Annotated[str | None, typer.Option("--api", help="API base URL (default: local)")] = None,
    token: Annotated[str | None, typer.Option(envvar="UGC_TOKEN", help="JWT (default: minted locally)")] = None,
) -> None:
    """Upload a client video straight to storage in presigned parts (the API never carries its bytes)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from devstack.apiclient import CLIENT_ERRORS, local_client, wait_with_progress

    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    try:
        with local_client(get_settings(), api_url, token, admin=False) as client:
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task(file.name, total=file.stat().st_size)

                def sent(done: int, total: int) -> None:
                    bar.update(task, completed=done)

                if asset:
                    made = client.upload_video_asset_direct(
                        file, name=name, product_category=category, on_progress=sent
                    )
                else:
                    made = client.upload_client_video_direct(
                        file,
                        creative_name=name,
                        product_category=category or "uncategorized",
                        tags=[tag for tag in (tags or "").split(",") if tag.strip()],
                        on_progress=sent,
                    )
            console.print(
                f"{made.purpose.replace('_', ' ')} [bold]{made.creative_id or made.video_asset_id}[/]"
                f" · workflow {made.workflow_id}"
            )
            if not (asset and wait):
                return
            state = wait_with_progress(client, made.workflow_id)
    except CLIENT_ERRORS as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    _print_outcome(state)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
