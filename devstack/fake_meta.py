"""A local fake of the Graph API endpoints the engine uses, as a real HTTP server (`ugc up`, tests, bench).

Meta-shaped: form-encoded requests with JSON-encoded nested fields, validation errors as code 100, tokens
checked (190 once expired), usage headers on every answer, the chunked `advideos` protocol, async insights
report jobs that move through their states and page their rows. `/__fake/...` controls it: inject faults
(throttle, transient failure, expired token, a lost answer: the request is performed and the connection
then dropped), simulate delivery days, restate a day, set a clip's hidden conversion rate, list objects.

    python -m devstack.fake_meta --port 8444
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from devstack.fake_meta_graph import ACCOUNT_EDGES, account_edge, object_get, object_post
from devstack.fake_meta_state import Fault, GraphFailure, State
from devstack.process import ManagedProcess


def _token(request: Request, form: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in {"oauth", "bearer"} and value:
        return value.strip()
    return form.get("access_token") or request.query_params.get("access_token")


class LostResponse(Response):
    """Headers promising a body that never comes, then a closed connection: the client sees a dropped answer."""

    def __init__(self) -> None:
        super().__init__(b"{", status_code=200, headers={"content-length": "4096", "content-type": "application/json"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": b"{", "more_body": False})


def make_app(state: State | None = None) -> Starlette:
    """The fake's ASGI app over `state` (a fresh one by default)."""
    st = state or State()

    def usage_headers(account: str, regain: float | None = None) -> dict[str, str]:
        business = {
            "fake-business": [
                {
                    "type": "ads_management",
                    "call_count": st.usage_percent,
                    "total_cputime": st.usage_percent / 2,
                    "total_time": st.usage_percent / 2,
                    "estimated_time_to_regain_access": st.regain_minutes if regain is None else regain,
                }
            ]
        }
        return {
            "x-business-use-case-usage": json.dumps(business),
            "x-ad-account-usage": json.dumps({"acc_id_util_pct": st.usage_percent, "reset_time_duration": 0}),
            "x-fb-api-version": "fake",
        }

    async def graph(request: Request) -> Response:
        path = request.url.path
        parts = [p for p in path.split("/") if p][1:]  # drop the version
        form: dict[str, Any] = dict(request.query_params)
        files: dict[str, bytes] = {}
        if request.method == "POST":
            async with request.form(max_part_size=64 * 1024 * 1024) as body:
                for key, value in body.multi_items():
                    if isinstance(value, str):
                        form[key] = value
                    else:
                        files[key] = await value.read()
        account = parts[0] if parts and parts[0].startswith("act_") else ""
        st.calls.append({"method": request.method, "path": path, "phase": form.get("upload_phase", "")})
        fault = st.take_fault(request.method, path, form.get("upload_phase", ""))
        headers = usage_headers(account)
        try:
            token = _token(request, form)
            if not token or token in st.expired_tokens or (fault and fault.kind == "expire_token"):
                if fault and fault.kind == "expire_token":
                    st.expired_tokens.add(token or "")
                raise GraphFailure(400, 190, "Error validating access token: Session has expired.", subcode=463)
            if fault and fault.kind == "throttle":
                headers = usage_headers(account, fault.regain_minutes) | {
                    "x-ad-account-usage": json.dumps({"acc_id_util_pct": 100, "reset_time_duration": 0})
                }
                raise GraphFailure(400, fault.code, "(#17) User request limit reached", subcode=2446079)
            if fault and fault.kind == "transient":
                raise GraphFailure(
                    500, 2, "An unexpected error has occurred. Please retry your request later.", transient=True
                )
            if fault and fault.kind == "server_error":
                return Response("<html>502</html>", status_code=502, headers=headers)
            with st.lock:
                if account and len(parts) == 2 and parts[1] in ACCOUNT_EDGES:
                    result = account_edge(st, request.method, account, parts[1], form, files, str(request.url))
                elif len(parts) == 1 and request.method == "GET":
                    result = object_get(st, parts[0], form)
                elif len(parts) == 1:
                    result = object_post(st, parts[0], form)
                elif len(parts) == 2 and parts[1] == "insights" and request.method == "GET":
                    result = object_get(st, parts[0], form, insights=True, url=str(request.url))
                else:
                    raise GraphFailure(400, 100, f"Unsupported {request.method} request.", subcode=33)
        except GraphFailure as failure:
            return JSONResponse({"error": failure.error}, status_code=failure.status, headers=headers)
        if fault and fault.kind == "lose_response":
            return LostResponse()
        return JSONResponse(result, headers=headers)

    async def control(request: Request) -> Response:
        action = request.path_params["action"]
        body = await request.json() if request.method == "POST" else {}
        with st.lock:
            if action == "faults":
                st.faults.append(Fault(**body))
            elif action == "expire_token":
                st.expired_tokens.add(body["token"])
            elif action == "advance":
                return JSONResponse({"days": st.advance(int(body.get("days", 1)))})
            elif action == "conversion_rate":
                st.rates[str(body["video_id"])] = float(body["rate"])
            elif action == "restate":
                key = (str(body["ad_id"]), str(body["day"]))
                st.delivery[key] = st.delivery.get(key, {}) | {k: int(v) for k, v in body["totals"].items()}
            elif action == "chunk_bytes":
                st.chunk_bytes = int(body["bytes"])
            elif action == "usage":
                st.usage_percent = float(body.get("percent", st.usage_percent))
                st.regain_minutes = float(body.get("regain_minutes", st.regain_minutes))
            elif action == "objects":
                kind = request.query_params.get("kind")
                return JSONResponse([o for o in st.objects.values() if kind is None or o["kind"] == kind])
            elif action == "calls":
                return JSONResponse(st.calls)
            elif action == "state":
                return JSONResponse(
                    {
                        "today": st.today.isoformat(),
                        "start_day": st.start_day.isoformat(),
                        "rates": st.rates,
                        "sessions": len(st.sessions),
                    }
                )
            else:
                return JSONResponse({"error": f"unknown control {action}"}, status_code=404)
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/__fake/{action}", control, methods=["GET", "POST"]),
            Route("/{rest:path}", graph, methods=["GET", "POST"]),
        ]
    )


def fake_meta_process(data_dir: Path, port: int, chunk_bytes: int | None = None) -> ManagedProcess:
    """The fake as a child process of the dev stack (or a test session), logging under data_dir/logs."""
    argv = [sys.executable, "-m", "devstack.fake_meta", "--port", str(port)]
    if chunk_bytes:
        argv += ["--chunk-bytes", str(chunk_bytes)]
    return ManagedProcess("meta-graph (fake)", argv, data_dir / "logs" / "fake_meta.log")


def main() -> None:
    parser = argparse.ArgumentParser(description="local fake of the Meta Graph API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8444)
    parser.add_argument("--chunk-bytes", type=int, default=4 * 1024 * 1024)
    args = parser.parse_args()
    # h11: a lost answer (a promised body never sent) must reach the client as a dropped connection
    uvicorn.run(
        make_app(State(chunk_bytes=args.chunk_bytes)), host=args.host, port=args.port, http="h11", log_level="warning"
    )


if __name__ == "__main__":
    main()
