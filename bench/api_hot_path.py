"""The hot read path under load: GET /api/v1/creatives/video-access/{id} of a public benchmark, served by the
real API (`ugc api`) and by a 20-line FastAPI app doing the same JWT check (PyJWT), the same row read
(asyncpg) and the same URL, both under the same uvicorn defaults, each hit by `wrk -t2 -c32` in turn.

    python -m bench.api_hot_path [--rounds 3] [--seconds 10] [--profile]

Prints req/s of both and their ratio (target >= 0.5); writes bench/out/api_hot_path.json, and with
--profile py-spy flame graphs of both under load (bench/out/api_hot_path.{api,baseline}.svg)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil
from pydantic import SecretStr

from api.auth import issue_token
from bench.stack import ROOT, child_env, full_stack
from devstack.process import free_port, port_open
from models.db import make_engine, make_sessionmaker
from models.tables import Creative
from settings import Settings

OUT = ROOT / "bench" / "out"
TARGET_RATIO = 0.5
AUDIENCE, ISSUER = "ugc-engine-bench", "https://auth.ugc-engine.bench"

# The plain implementation the issue compares against: the same checks, no project code.
BASELINE_APP = """
import os, uuid
from contextlib import asynccontextmanager
import asyncpg, jwt
from fastapi import FastAPI, Header, HTTPException

KEY, AUD, ISS, BASE = (os.environ[name] for name in ("JWT_SECRET", "JWT_AUDIENCE", "JWT_ISSUER", "PUBLIC_BASE"))
SQL = "SELECT name, video_key, is_public, is_benchmark, status FROM creatives WHERE id = $1"

@asynccontextmanager
async def lifespan(app):
    app.state.pool = await asyncpg.create_pool(os.environ["PG_DSN"], min_size=5, max_size=5)
    yield
    await app.state.pool.close()

app = FastAPI(lifespan=lifespan)

@app.get("/api/v1/creatives/video-access/{creative_id}")
async def video_access(creative_id: uuid.UUID, authorization: str = Header()):
    try:
        jwt.decode(authorization.removeprefix("Bearer "), KEY, algorithms=["HS256"], audience=AUD, issuer=ISS,
                   options={"require": ["exp", "iat", "sub", "aud", "iss"]})
    except jwt.InvalidTokenError:
        raise HTTPException(401)
    row = await app.state.pool.fetchrow(SQL, creative_id)
    if row is None or row["status"] == "failed" or not (row["is_public"] and row["is_benchmark"]):
        raise HTTPException(404)
    key = row["video_key"].removeprefix("r2://").split("/", 1)[1]
    return {"creative_id": str(creative_id), "creative_name": row["name"], "video_url": f"{BASE}/{key}",
            "is_public": True, "expires_in": None}
"""

# `ugc api` is uvicorn.run(app, host=..., port=...); the baseline is served by the same call
SERVE_BASELINE = "import sys, uvicorn; uvicorn.run('baseline:app', host='127.0.0.1', port=int(sys.argv[1]))"


def _asyncpg_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _seed_benchmark(settings: Settings) -> uuid.UUID:
    creative_id = uuid.uuid4()
    engine = make_engine(settings.database_url or "")
    async with make_sessionmaker(engine)() as session:
        session.add(
            Creative(
                id=creative_id, name="Glow serum", owner_id=None, is_benchmark=True, is_public=True,
                product_category="skincare", source_platform="tiktok", status="ready", tags=[],
                video_key=f"r2://{settings.r2_market_benchmarks_bucket}/benchmarks/{creative_id}.mp4",
            )
        )  # fmt: skip
        await session.commit()
    await engine.dispose()
    return creative_id


def _start(argv: list[str], env: dict[str, str], port: int, log: Path, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while not port_open(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{argv[0]} did not start; log {log}:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _wrk(url: str, token: str, seconds: float, threads: int, connections: int, pid: int = 0) -> dict[str, float]:
    cpu_before = _cpu_seconds(pid) if pid else 0.0
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
            "-H", f"Authorization: Bearer {token}", url]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    cpu = _cpu_seconds(pid) - cpu_before if pid else 0.0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    return {
        "rps": rps,
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan"),
        # the server's own CPU per answer: what the machine's other load does not change much
        "cpu_ms_per_request": 1000 * cpu / requests if requests else float("nan"),
    }


def _same_answer(api_url: str, baseline_url: str, token: str) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    api, baseline = httpx.get(api_url, headers=headers), httpx.get(baseline_url, headers=headers)
    assert api.status_code == baseline.status_code == 200, (api.text, baseline.text)
    assert api.json() == baseline.json(), (api.json(), baseline.json())
    return dict(api.json())


def _profile(name: str, pid: int, url: str, token: str, seconds: float, args: argparse.Namespace) -> Path | None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("--profile needs py-spy (pip install py-spy)")
        return None
    svg = OUT / f"api_hot_path.{name}.svg"
    raw = OUT / f"api_hot_path.{name}.txt"
    record = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200", "--nonblocking"]
    spy = subprocess.Popen([*record, "--output", str(svg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spy_raw = subprocess.Popen(
        [*record, "--format", "raw", "--output", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(1)
    _wrk(url, token, seconds, args.threads, args.connections)
    spy.wait(60)
    spy_raw.wait(60)
    return svg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--profile", action="store_true", help="py-spy record of both under load")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-hot-path-") as tmp, full_stack(Path(tmp), 10**8) as (stack, _):
        workdir = Path(tmp)
        settings = stack.model_copy(
            update={"jwt_secret": SecretStr(secrets.token_urlsafe(48)), "jwt_audience": AUDIENCE, "jwt_issuer": ISSUER}
        )
        creative_id = asyncio.run(_seed_benchmark(settings))
        token = issue_token(settings, "bench-user", ttl_seconds=24 * 3600)
        secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
        env = child_env(settings) | {
            "JWT_SECRET": secret, "JWT_AUDIENCE": AUDIENCE, "JWT_ISSUER": ISSUER, "DATA_DIR": str(workdir / "stack"),
            "PG_DSN": _asyncpg_dsn(settings.database_url or ""),
            "PUBLIC_BASE": settings.public_video_url("").rstrip("/"),
        }  # fmt: skip
        (workdir / "baseline.py").write_text(BASELINE_APP)
        api_port, baseline_port = free_port(), free_port()
        api = _start([str(Path(sys.executable).parent / "ugc"), "api", "--port", str(api_port)],
                     env, api_port, workdir / "api.log")  # fmt: skip
        baseline = _start([sys.executable, "-c", SERVE_BASELINE, str(baseline_port)],
                          env, baseline_port, workdir / "baseline.log", cwd=workdir)  # fmt: skip
        servers = {"api": api, "baseline": baseline}
        path = f"/api/v1/creatives/video-access/{creative_id}"
        urls = {"api": f"http://127.0.0.1:{api_port}{path}", "baseline": f"http://127.0.0.1:{baseline_port}{path}"}
        try:
            answer = _same_answer(urls["api"], urls["baseline"], token)
            for url in urls.values():  # warm-up: pools filled, code paths hot
                _wrk(url, token, 3, args.threads, args.connections)
            runs: dict[str, list[dict[str, float]]] = {"baseline": [], "api": []}
            for _ in range(args.rounds):
                for name in ("baseline", "api"):  # interleaved, so drift on the shared machine hits both
                    pid = servers[name].pid
                    runs[name].append(_wrk(urls[name], token, args.seconds, args.threads, args.connections, pid))
            profiles = (
                [_profile(name, proc.pid, urls[name], token, args.seconds, args) for name, proc in servers.items()]
                if args.profile
                else []
            )
        finally:
            _stop(api)
            _stop(baseline)
    median = {name: statistics.median(run["rps"] for run in rounds) for name, rounds in runs.items()}
    ratio = median["api"] / median["baseline"]
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    print(f"GET {path.replace(str(creative_id), '{id}')} of a public benchmark, wrk -t{args.threads} "
          f"-c{args.connections} -d{args.seconds:g}s, {args.rounds} interleaved rounds (medians)")  # fmt: skip
    print(f"{'':10} {'req/s':>9} {'p50 ms':>8} {'CPU ms/req':>11} {'non-2xx':>8}  rounds")
    for name in ("baseline", "api"):
        rounds = runs[name]
        p50 = statistics.median(run["p50_ms"] for run in rounds)
        cpu = statistics.median(run["cpu_ms_per_request"] for run in rounds)
        non_2xx = sum(run["non_2xx"] for run in rounds)
        each = ", ".join(f"{run['rps']:.0f}" for run in rounds)
        print(f"{name:10} {median[name]:9.0f} {p50:8.2f} {cpu:11.2f} {non_2xx:8.0f}  {each}")
    per_round = ", ".join(f"{a['rps'] / b['rps']:.2f}" for a, b in zip(runs["api"], runs["baseline"], strict=True))
    print(f"ratio api / baseline: {ratio:.2f} (rounds {per_round}); target >= {TARGET_RATIO} — {verdict}")
    for profile in profiles:
        if profile is not None:
            print(f"py-spy profile under load: {profile} (raw stacks: {profile.with_suffix('.txt')})")
    (OUT / "api_hot_path.json").write_text(
        json.dumps({"answer": answer, "runs": runs, "median_rps": median, "ratio": ratio, "verdict": verdict}, indent=2)
    )


if __name__ == "__main__":
    main()
