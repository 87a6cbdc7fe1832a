"""`ugc demo`, continued: the drafts published (to the local Meta fake), simulated days synced, budgets moving."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import httpx
from rich.console import Console
from rich.table import Table

from settings import Settings
from ugc_client import UgcClient

console = Console()
SIMULATED_DAYS = 3


def fake_meta_url(settings: Settings) -> str | None:
    """The local Graph fake the system talks to; None when META_GRAPH_URL is something else (the real API)."""
    url = (settings.meta_graph_url or f"http://127.0.0.1:{settings.meta_fake_port}").rstrip("/")
    try:
        return url if httpx.get(f"{url}/__fake/state", timeout=5).status_code == 200 else None
    except httpx.HTTPError:
        return None


def _budgets(client: UgcClient, campaign_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[str, int, int, int]]:
    found = {}
    for campaign_id in campaign_ids:
        c = client.get_campaign(campaign_id)
        found[campaign_id] = (c.platform, c.budget_cents, c.clicks, c.conversions)
    return found


def run_meta_demo(
    settings: Settings, owner: UgcClient, admin: UgcClient, campaign_ids: Sequence[uuid.UUID]
) -> list[str]:
    """Publish the drafts (paused) to the local fake, switch them on there, run simulated days, show budgets."""
    fake = fake_meta_url(settings)
    if fake is None:
        console.print("META_GRAPH_URL points at the real Graph API: the demo publishes only to the local fake")
        return []
    token = f"demo-{uuid.uuid4().hex}"
    account = owner.connect_ad_account(f"act_{uuid.uuid4().int % 10**12}", "1029384756", token)
    console.print(f"connected ad account {account.account_id} (token stored encrypted, never shown again)")
    workflows = []
    table = Table("platform", "campaign", "ad set", "ad", "status")
    for campaign_id in campaign_ids:
        published = owner.publish_campaign(
            campaign_id, account.id, link="https://shop.example.com/serum", message="Glow in 7 days"
        )  # PAUSED: the default, as for any client
        workflows.append(f"publish-{campaign_id}")
        c = owner.get_campaign(campaign_id)
        table.add_row(c.platform, published.ids["meta_campaign_id"], published.ids["meta_adset_id"],
                      published.ids["meta_ad_id"], published.status)  # fmt: skip
    console.print(table)
    _switch_on(settings, fake, token, [owner.get_campaign(c).external_ids for c in campaign_ids])
    before = _budgets(owner, campaign_ids)
    for day in range(1, SIMULATED_DAYS + 1):
        httpx.post(f"{fake}/__fake/advance", json={"days": 1}, timeout=30).raise_for_status()
        result = admin.sync_insights(account.id)
        moves = ", ".join(f"{m.before_cents / 100:.2f} → {m.after_cents / 100:.2f}" for m in result.budgets) or "none"
        console.print(
            f"simulated day {day}: {result.rows} insight rows, {result.days_changed} changed; budget moves: {moves}"
        )
    after = _budgets(owner, campaign_ids)
    table = Table("platform", "clicks", "conversions", "CVR", "daily budget before", "after")
    for campaign_id, (platform, cents, clicks, conversions) in after.items():
        table.add_row(platform, str(clicks), str(conversions), f"{conversions / clicks:.1%}" if clicks else "-",
                      f"{before[campaign_id][1] / 100:.2f}", f"[bold]{cents / 100:.2f}[/]")  # fmt: skip
    console.print(table)
    console.print("the budget follows P(best): each push is a `budget_allocated` ledger event (before/after)")
    return [*workflows, f"meta-sync-{account.id} (schedule: Schedules tab)"]


def _switch_on(settings: Settings, fake: str, token: str, published: Sequence[dict[str, str]]) -> None:
    """What a marketer does in Ads Manager after reviewing the paused ads: set them ACTIVE (here on the fake)."""
    for ids in published:
        for kind in ("meta_campaign_id", "meta_adset_id", "meta_ad_id"):
            url = f"{fake}/{settings.meta_graph_version}/{ids[kind]}"
            httpx.post(url, data={"status": "ACTIVE", "access_token": token}, timeout=30).raise_for_status()
    console.print("reviewed and switched on in Ads Manager (here: the fake's Graph API); delivery starts")
