"""`ugc recommend`, `ugc train-rules` and `ugc sync-insights`: the learning loop through the API, as tables.

Registered on the `ugc` app by cli.py; each talks to the API with ugc_client (devstack/apiclient.py).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from settings import get_settings

console = Console()


def recommend(
    category: Annotated[str, typer.Option(help="product category, e.g. skincare")],
    limit: Annotated[int, typer.Option(help="how many patterns", min=1, max=100)] = 10,
    seed: Annotated[int | None, typer.Option(help="same seed, same ranking")] = None,
    api_url: Annotated[str | None, typer.Option("--api", help="API base URL (default: local)")] = None,
    token: Annotated[str | None, typer.Option(envvar="UGC_TOKEN", help="JWT (default: minted locally)")] = None,
) -> None:
    """Creative patterns ranked by Thompson Sampling (posterior mean, 95 % interval, P(best), evidence)."""
    from devstack.apiclient import CLIENT_ERRORS, local_client

    try:
        with local_client(get_settings(), api_url, token) as client:
            body = client.get_recommendations(category, limit=limit, seed=seed)
    except CLIENT_ERRORS as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    table = Table(
        "#",
        "hook",
        "emotion",
        "pacing",
        "draw",
        "mean",
        "95 % interval",
        "P(best)",
        "benchmark / client clicks",
        "credibility",
        title=f"{category}: seed {body.seed}, benchmark half-life {body.half_life_days:.0f} days",
    )
    for item in body.items:
        p = item.pattern
        low, high = item.credible_interval_95
        table.add_row(
            str(item.rank),
            p.hook_type or "-",
            p.emotion or "-",
            p.pacing or "-",
            f"{item.thompson_draw:.2%}",
            f"{item.posterior_mean:.2%}",
            f"{low:.2%} – {high:.2%}",
            f"{item.probability_best:.1%}",
            f"{item.benchmark_pseudo_clicks:.0f} / {item.client_clicks:.0f}",
            f"{item.benchmark_credibility:.0%}",
        )
    console.print(table if body.items else f"no pattern evidence for {category!r} yet")


def train_rules(
    api_url: Annotated[str | None, typer.Option("--api", help="API base URL (default: local)")] = None,
    token: Annotated[str | None, typer.Option(envvar="UGC_TOKEN", help="admin JWT (default: minted locally)")] = None,
) -> None:
    """Refit each platform's rule weights from campaign results now (it also runs daily on a schedule)."""
    from devstack.apiclient import CLIENT_ERRORS, local_client

    try:
        with (
            local_client(get_settings(), api_url, token) as client,
            console.status("training (TrainRulesWorkflow) ..."),
        ):
            body = client.train_rules()
    except CLIENT_ERRORS as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    table = Table("platform", "outcome", "weights version", "held-out log-lik/click (current → new)", "train / test")
    for r in body.results:
        outcome = "[green]new version stored[/]" if r.improved else r.reason
        version = f"{r.current_version} → {r.new_version}" if r.improved else str(r.current_version)
        scores = "-" if r.current_score is None else f"{r.current_score:.5f} → {r.candidate_score:.5f}"
        table.add_row(r.platform, outcome, version, scores, f"{r.n_train} / {r.n_test}")
    console.print(table)


def sync_insights(
    account: Annotated[list[str] | None, typer.Option("--account", help="ad account id (default: every one)")] = None,
    api_url: Annotated[str | None, typer.Option("--api", help="API base URL (default: local)")] = None,
    token: Annotated[str | None, typer.Option(envvar="UGC_TOKEN", help="admin JWT (default: minted locally)")] = None,
) -> None:
    """Pull Meta insights now for connected ad accounts (SyncInsightsWorkflow; also runs on a schedule)."""
    from devstack.apiclient import CLIENT_ERRORS, local_client

    table = Table("ad account", "report", "days", "rows", "days changed", "campaigns")
    try:
        with local_client(get_settings(), api_url, token) as client:
            ids = account or [str(a.id) for a in client.list_ad_accounts() if a.status == "connected"]
            for account_id in ids:
                with console.status(f"syncing {account_id} (SyncInsightsWorkflow) ..."):
                    r = client.sync_insights(account_id)
                table.add_row(account_id, r.report_run_id, f"{r.since}..{r.until}", str(r.rows),
                              str(r.days_changed), str(r.campaigns))  # fmt: skip
    except CLIENT_ERRORS as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(table if ids else "no connected ad accounts")
