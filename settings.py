"""The only reader of the environment: one pydantic-settings class, seed names kept."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.clip_spread import DEFAULT_CANDIDATES
from models.schemas.media import (
    DEFAULT_MAX_DURATION_S,
    DEFAULT_MAX_FPS,
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_HEIGHT,
    DEFAULT_MAX_WIDTH,
)
from storage.objects import R2_MAX_PRESIGN_SECONDS

HMAC_ALGORITHMS = {"HS256"}
ASYMMETRIC_ALGORITHMS = {"RS256", "ES256"}
MIN_HMAC_SECRET_BYTES = 32

# `ugc up` writes a generated local JWT secret and the local token audience and issuer to
# <data_dir>/dev.env so every `ugc` command using the same data directory agrees on them; real
# deployments set the variables instead (the API refuses to start without JWT_AUDIENCE/JWT_ISSUER).
DEV_ENV_FILENAME = "dev.env"
DEV_ENV_VARIABLES = ("JWT_SECRET", "JWT_AUDIENCE", "JWT_ISSUER", "META_TOKEN_KEY")
LOCAL_JWT_AUDIENCE = "ugc-engine-local"
LOCAL_JWT_ISSUER = "ugc-engine-local"


class Settings(BaseSettings):
    """Configuration of every process (API, worker, CLI); unset service URLs mean 'embedded'."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- services: unset means `ugc up` / tests start the embedded one ---
    database_url: str | None = Field(None, description="PostgreSQL URL (postgresql:// or postgresql+asyncpg://)")
    temporal_address: str | None = Field(None, description="Temporal frontend host:port")
    temporal_namespace: str = "default"
    r2_endpoint_url: str | None = Field(None, description="S3 API endpoint (Cloudflare R2 or any S3 server)")
    r2_access_key_id: str = "ugc-dev-access-key"
    r2_secret_access_key: SecretStr = SecretStr("ugc-dev-secret-key-change-me-0123456789")
    r2_region: str = "auto"
    r2_market_benchmarks_bucket: str = "market-benchmarks"
    r2_client_assets_bucket: str = "client-assets"
    r2_public_base_url: str | None = Field(
        None, description="public URL of the benchmarks bucket; default <endpoint>/<bucket>"
    )

    # --- Anthropic (creative analysis: vision/claude.py) ---
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    claude_model: str = Field(
        "claude-sonnet-5-5",
        description="a model with structured outputs (output_config.format: Claude 4.5 models and later); "
        "the request sends no tool_choice, temperature or thinking settings, which Sonnet 5.5 refuses",
    )
    claude_timeout_seconds: float = Field(60.0, gt=0)
    vision_backend: Literal["auto", "anthropic", "local"] = Field(
        "auto", description="auto: Claude when ANTHROPIC_API_KEY is set, else the local analyzer"
    )

    # --- analysis ---
    frame_timestamps: list[float] = Field(default_factory=lambda: [0.0, 3.0, 10.0], min_length=3, max_length=3)
    # 1024, not 1280: three 1280-px frames alone cost ~3,700 input tokens; 1024 keeps a whole
    # analysis (frames + prompt + answer schema) near 3,000, under the 4,000 budget
    frame_max_edge: int = Field(1024, ge=64, le=4096)
    analysis_idle_timeout_seconds: float = Field(7 * 24 * 3600, gt=0)

    # --- JWT ---
    jwt_algorithm: str = "HS256"
    jwt_secret: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_private_key: SecretStr | None = Field(None, description="only for `ugc token` with RS256/ES256")
    # no default: every token's aud and iss are checked (RFC 8725 §3.8-3.9); the API refuses to
    # start without them, `ugc up` writes local values into dev.env
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)

    # --- embedded stack and ports ---
    data_dir: Path = Path(".data")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    s3_port: int = 8333
    postgres_port: int = 0  # 0: pgserver's Unix socket only

    # --- API ---
    api_workflow_wait_seconds: float = Field(
        30.0, gt=0, le=600, description="how long a request waits for a workflow it runs before answering 202"
    )

    # --- ingestion ---
    benchmark_prior_max_clicks: float = Field(1000.0, gt=0, description="cap on a benchmark prior's pseudo-clicks")
    max_video_bytes: int = Field(500 * 1024 * 1024, gt=0)
    # checked by the probe from the stream's header before a frame is decoded (README: media limits)
    max_video_width: int = Field(DEFAULT_MAX_WIDTH, gt=0, description="displayed width, in pixels")
    max_video_height: int = Field(DEFAULT_MAX_HEIGHT, gt=0, description="displayed height, in pixels")
    max_video_duration_seconds: float = Field(DEFAULT_MAX_DURATION_S, gt=0)
    max_video_fps: float = Field(DEFAULT_MAX_FPS, gt=0)
    max_video_frames: int = Field(DEFAULT_MAX_FRAMES, gt=0)
    download_timeout_seconds: float = Field(30.0, gt=0, description="connect/read timeout per request")
    download_max_redirects: int = Field(5, ge=0, le=20)
    # NoDecode: a comma list (localhost,minio), not JSON like FRAME_TIMESTAMPS; see _comma_list
    url_fetch_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="hosts whose video URLs may resolve to private/loopback addresses (tests, dev stack)",
    )
    # S3's smallest part: with two parts in flight a transfer holds ~15 MB whatever the file size
    multipart_chunk_bytes: int = Field(5 * 1024 * 1024, ge=5 * 1024 * 1024)
    presign_expiration_seconds: int = Field(3600, gt=0)
    # direct uploads: how long the presigned part URLs (and so the upload session) stay valid
    direct_upload_expiration_seconds: int = Field(6 * 3600, gt=0, le=R2_MAX_PRESIGN_SECONDS)

    # --- per-client daily caps (UTC days; admins are exempt) ---
    daily_uploads_per_client: int = Field(200, ge=0, description="uploads started per client per day")
    daily_upload_bytes_per_client: int = Field(20 * 1000**3, ge=0, description="bytes uploaded per client per day")
    daily_analyses_per_client: int = Field(100, ge=0, description="paid analyses a client's reports may trigger")

    # --- learning ---
    benchmark_half_life_days: float = Field(180.0, gt=0, description="benchmark evidence halves in weight this often")
    budget_min_share: float = Field(0.1, ge=0, le=1, description="smallest share of a daily budget per campaign")
    training_l2: float = Field(1.0, gt=0)
    training_min_improvement: float = Field(1e-4, ge=0, description="held-out log-likelihood per click to beat")
    training_cron: str = Field("0 3 * * *", description="when the daily rule-engine training runs (UTC)")

    # --- worker ---
    worker_graceful_shutdown_seconds: float = 30.0
    worker_queues: str = Field("all", description="'all' or a comma list of main, media, transfer")
    media_concurrency: int = 0  # 0: CPU count
    # the shot pass's crops a media worker keeps on disk for its own cuts (media/crop_cache.py); 0: none
    crop_cache_mb: int = Field(2048, ge=0)

    # --- operations: metrics, traces, logs (README: Operations) ---
    metrics_host: str = Field("127.0.0.1", description="interface the metrics listeners bind (0.0.0.0 in containers)")
    # 0: none, so a library user or a test binds nothing unasked; `ugc up` uses UP_METRICS_PORTS
    api_metrics_port: int = Field(0, ge=0, le=65535, description="the API's Prometheus listener; 0: none")
    worker_metrics_port: int = Field(0, ge=0, le=65535, description="the worker's (SDK + domain); 0: none")
    # list prices per million tokens, for the estimated-cost counter (ugc_claude_cost_microdollars_total)
    claude_input_usd_per_mtok: float = Field(2.0, ge=0)  # claude-sonnet-5-5's list prices
    claude_output_usd_per_mtok: float = Field(10.0, ge=0)
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: readable lines on a terminal, JSON lines otherwise"
    )
    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP collector base URL (http://collector:4318); unset: no traces are exported"
    )
    otel_service_name: str | None = Field(None, description="the traces' service.name; default ugc-api / ugc-worker")
    # --- Meta ads: publishing, insights sync, budgets (ads/meta, workflows/publish_campaign.py) ---
    meta_graph_url: str | None = Field(
        None, description="Graph API base URL (https://graph.facebook.com); unset: the local fake `ugc up` starts"
    )
    meta_graph_version: str = Field("v21.0", pattern=r"^v\d+\.\d+$")
    meta_fake_port: int = 8444
    # Fernet key (urlsafe base64 of 32 bytes) the ad accounts' access tokens are encrypted with at rest
    meta_token_key: SecretStr | None = None
    meta_campaign_objective: str = "OUTCOME_SALES"
    meta_billing_event: str = "IMPRESSIONS"
    meta_optimization_goal: str = "LINK_CLICKS"
    meta_http_timeout_seconds: float = Field(60.0, gt=0)
    meta_throttle_min_delay_seconds: float = Field(60.0, ge=0, description="wait after a throttle with no estimate")
    meta_pace_start_percent: float = Field(75.0, ge=0, lt=100, description="usage % from which calls are spaced")
    meta_max_inline_wait_seconds: float = Field(10.0, ge=0, description="longer pacing waits become retries")
    meta_video_poll_seconds: float = Field(10.0, gt=0, description="how often a publish checks the video is ready")
    meta_video_ready_timeout_seconds: float = Field(2 * 3600, gt=0)
    meta_insights_poll_seconds: float = Field(5.0, gt=0)
    meta_insights_lookback_days: int = Field(28, ge=1, le=90, description="days each sync asks Meta for again")
    meta_sync_interval_minutes: int = Field(60, ge=1, description="the per-account insights schedule")
    meta_budget_change_threshold: float = Field(0.05, ge=0, le=1, description="share move that is pushed to Meta")
    meta_budget_changes_per_hour: int = Field(4, ge=1, description="pushes per ad set per hour at most")
    # --- Claude structured answers (vision/claude.py) ---
    claude_effort: Literal["low", "medium", "high", "default"] = Field(
        "low",
        description="output_config.effort of each analysis (three frames, a few labels: low is enough); "
        "default: none sent, for models without the effort parameter (e.g. claude-haiku-4-5)",
    )
    # --- clip candidates (PrepareClipsWorkflow) ---
    clip_max_candidates: int = Field(
        DEFAULT_CANDIDATES, ge=1, le=48, description="candidate clips cut per video asset, from the whole video"
    )

    @field_validator("presign_expiration_seconds")
    @classmethod
    def _clamp_presign(cls, value: int) -> int:
        return min(value, R2_MAX_PRESIGN_SECONDS)

    @field_validator("url_fetch_allowed_hosts", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):  # a JSON list, as the other list settings take
                return json.loads(value)
            return [host.strip() for host in value.split(",") if host.strip()]
        return value

    @field_validator(
        "database_url", "temporal_address", "r2_endpoint_url", "r2_public_base_url",
        "jwt_audience", "jwt_issuer", "jwt_public_key", "anthropic_base_url", "otel_exporter_otlp_endpoint",
        "meta_graph_url", mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _check_jwt(self) -> Settings:
        alg = self.jwt_algorithm
        if alg not in HMAC_ALGORITHMS | ASYMMETRIC_ALGORITHMS:
            raise ValueError(f"JWT_ALGORITHM must be one of HS256, RS256, ES256 (got {alg!r})")
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else None
        if alg in HMAC_ALGORITHMS and secret is not None and len(secret.encode()) < MIN_HMAC_SECRET_BYTES:
            raise ValueError(f"JWT_SECRET must be at least {MIN_HMAC_SECRET_BYTES} bytes for {alg}")
        return self

    def require_jwt_verification_key(self) -> str:
        """The key tokens are checked with; a clear error when none is configured."""
        if self.jwt_algorithm in HMAC_ALGORITHMS:
            if self.jwt_secret is None:
                raise RuntimeError("JWT_SECRET is not set (run `ugc up` once to generate a local one)")
            return self.jwt_secret.get_secret_value()
        if not self.jwt_public_key:
            raise RuntimeError(f"JWT_PUBLIC_KEY is required for {self.jwt_algorithm}")
        return self.jwt_public_key

    def require_jwt_claims_config(self) -> tuple[str, str]:
        """The audience and issuer every token must name; a clear error when either is unset."""
        configured = (("JWT_AUDIENCE", self.jwt_audience), ("JWT_ISSUER", self.jwt_issuer))
        missing = [name for name, value in configured if not value]
        if missing or self.jwt_audience is None or self.jwt_issuer is None:
            dev_env = self.data_dir / DEV_ENV_FILENAME
            raise RuntimeError(
                f"{' and '.join(missing)} must be set: the API accepts only tokens naming this service as "
                f"their audience and a known issuer (`ugc up` writes local values to {dev_env})"
            )
        return self.jwt_audience, self.jwt_issuer

    @property
    def resolved_vision_backend(self) -> Literal["anthropic", "local"]:
        if self.vision_backend == "auto":
            return "anthropic" if self.anthropic_api_key is not None else "local"
        return self.vision_backend

    def public_video_url(self, key: str) -> str:
        """Anonymous URL of an object in the public benchmarks bucket."""
        if self.r2_public_base_url:
            return f"{self.r2_public_base_url.rstrip('/')}/{key}"
        endpoint = (self.r2_endpoint_url or f"http://127.0.0.1:{self.s3_port}").rstrip("/")
        return f"{endpoint}/{self.r2_market_benchmarks_bucket}/{key}"


def load_settings() -> Settings:
    """Settings from the environment and .env; what they leave unset of the JWT secret, audience and
    issuer comes from the dev.env `ugc up` wrote (never overriding a configured value)."""
    settings = Settings()
    dev_env = settings.data_dir / DEV_ENV_FILENAME
    if not dev_env.exists():
        return settings
    local = Settings(_env_file=dev_env)  # the environment, then dev.env (not .env)
    fill = {
        field: getattr(local, field)
        for field in (name.lower() for name in DEV_ENV_VARIABLES)
        if getattr(settings, field) is None and getattr(local, field) is not None
    }
    return Settings(**fill) if fill else settings


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process."""
    return load_settings()
