"""AsyncUgcClient and UgcClient: one table of endpoints, carried out with httpx asynchronously or not."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Generic, ParamSpec, Self, TypeVar, overload

import httpx

from ugc_client import campaigns, direct_upload, endpoints, meta
from ugc_client.plans import Call, Plan, PlanRun, Sleep

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)  # orchestrate and train wait for their workflow


class Endpoint(Generic[P, T]):
    """An endpoint's plan, bound to a client: awaitable on AsyncUgcClient, a plain call on UgcClient."""

    def __init__(self, build: Callable[P, Call[T] | Plan[T]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: AsyncUgcClient, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, client: UgcClient, owner: type[Any]) -> Callable[P, T]: ...
    def __get__(self, client: Any, owner: type[Any]) -> Any:
        if client is None:
            return self
        run, build = client._run, self._build
        return functools.wraps(build)(lambda *args, **kwargs: run(build(*args, **kwargs)))


class _Endpoints:
    """The API, once (ugc_client/endpoints.py, campaigns.py); docs/contract/'s names are the names."""

    _token: str | None

    health = Endpoint(endpoints.health)
    ready = Endpoint(endpoints.ready)
    ingest_benchmark_video = Endpoint(endpoints.ingest_benchmark_video)
    list_benchmarks = Endpoint(endpoints.list_benchmarks)
    upload_client_video = Endpoint(endpoints.upload_client_video)
    get_creative = Endpoint(endpoints.get_creative)
    report_creative_performance = Endpoint(endpoints.report_creative_performance)
    force_analyze = Endpoint(endpoints.force_analyze)
    generate_client_video_access_url = Endpoint(endpoints.generate_client_video_access_url)
    upload_video_asset = Endpoint(campaigns.upload_video_asset)
    get_video_asset = Endpoint(campaigns.get_video_asset)
    list_clips = Endpoint(campaigns.list_clips)
    register_clips = Endpoint(campaigns.register_clips)
    orchestrate_campaigns_for_video = Endpoint(campaigns.orchestrate_campaigns_for_video)
    get_best_clip_decision = Endpoint(campaigns.get_best_clip_decision)
    list_campaigns = Endpoint(campaigns.list_campaigns)
    get_campaign = Endpoint(campaigns.get_campaign)
    list_ledger_events = Endpoint(campaigns.list_ledger_events)
    report_campaign_performance = Endpoint(campaigns.report_campaign_performance)
    get_recommendations = Endpoint(campaigns.get_recommendations)
    train_rules = Endpoint(campaigns.train_rules)
    get_workflow = Endpoint(endpoints.get_workflow)
    wait_for_workflow = Endpoint(endpoints.wait_for_workflow)
    # large files: straight to storage through presigned parts (ugc_client/direct_upload.py)
    upload_client_video_direct = Endpoint(direct_upload.upload_client_video_direct)
    upload_video_asset_direct = Endpoint(direct_upload.upload_video_asset_direct)
    abort_upload = Endpoint(direct_upload.abort_upload)
    # Meta: ad accounts, publishing and insights (ugc_client/meta.py)
    connect_ad_account = Endpoint(meta.connect_ad_account)
    list_ad_accounts = Endpoint(meta.list_ad_accounts)
    get_ad_account = Endpoint(meta.get_ad_account)
    disconnect_ad_account = Endpoint(meta.disconnect_ad_account)
    publish_campaign = Endpoint(meta.publish_campaign)
    sync_insights = Endpoint(meta.sync_insights)

    @staticmethod
    def _http_options(base_url: str, token: str | None, timeout: httpx.Timeout | float) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return {"base_url": base_url, "headers": headers, "timeout": timeout}


class AsyncUgcClient(_Endpoints):
    """`async with AsyncUgcClient(base_url, token) as ugc: await ugc.ingest_benchmark_video(...)`.

    `token` may be None for the public routes; `transport` is passed to httpx (e.g. an ASGITransport).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self._token = token
        self._http = httpx.AsyncClient(transport=transport, **self._http_options(base_url, token, timeout))

    async def _run(self, plan: Call[T] | Plan[T]) -> T:
        with PlanRun(plan, self._token) as run:
            for step in run:
                with run.outcome() as answer:
                    answer(await self._perform(step))
        return run.result

    async def _perform(self, step: Call[Any] | Sleep) -> Any:
        if isinstance(step, Sleep):
            return await asyncio.sleep(step.seconds)
        return step.answer(await self._http.request(**step.request()))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class UgcClient(_Endpoints):
    """The same endpoints, blocking: `with UgcClient(base_url, token) as ugc: ugc.ingest_benchmark_video(...)`."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self._token = token
        self._http = httpx.Client(transport=transport, **self._http_options(base_url, token, timeout))

    def _run(self, plan: Call[T] | Plan[T]) -> T:
        with PlanRun(plan, self._token) as run:
            for step in run:
                with run.outcome() as answer:
                    answer(self._perform(step))
        return run.result

    def _perform(self, step: Call[Any] | Sleep) -> Any:
        if isinstance(step, Sleep):
            return time.sleep(step.seconds)
        return step.answer(self._http.request(**step.request()))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
