"""Settings, read from CONTACTHUB_* environment variables."""

import ipaddress
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything ContactHub can be told from outside; the README lists each variable."""

    model_config = SettingsConfigDict(env_prefix="CONTACTHUB_", extra="ignore")

    database_url: str = "sqlite:///./contacthub.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = True
    # Largest request body accepted, in bytes; larger is 413.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Connections each server process keeps to PostgreSQL (SQLite always uses one).
    db_pool_size: int = Field(default=5, ge=1)
    rate_limit: float = Field(default=100, ge=0)
    rate_burst: int = Field(default=200, ge=1)
    redis_url: str | None = None
    metrics: bool = True
    # Signs pagination cursors; unset, each database's own secret (made by `contacthub migrate`).
    secret_key: str | None = None
    # Days the event feed keeps an event (the workers' retention sweep deletes older ones).
    event_retention_days: int = Field(default=30, ge=1)
    # Origins allowed to call the API from a browser (comma-separated); none by default.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Proxies whose X-Forwarded-For names the client (comma-separated IPs or CIDRs); none by
    # default, so the client is the connection's peer.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # Run a worker inside each server process (webhook deliveries, sweeps); 0 leaves the work to
    # separate `contacthub worker` processes.
    worker: bool = True
    # Let webhooks reach private, loopback and link-local addresses (tests, a private network).
    webhook_allow_private: bool = False
    # Seconds to wait before each retry of a failed delivery (one retry per entry).
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,50400,72000,86400"
    # Seconds a worker holds a claimed delivery; a dead worker's are taken up again after this.
    # Longer than a send may take (10 s), or a slow send may be made twice.
    webhook_lease_seconds: int = Field(default=60, ge=1)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [proxy.strip() for proxy in value.split(",") if proxy.strip()]
        for proxy in value if isinstance(value, list) else []:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"CONTACTHUB_TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
                ) from None
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        try:
            waits = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise ValueError(
                "CONTACTHUB_WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds"
            ) from None
        if any(wait < 0 for wait in waits):
            raise ValueError("CONTACTHUB_WEBHOOK_RETRY_SCHEDULE must not hold negative waits")
        return value

    @property
    def retry_waits(self) -> list[int]:
        """The waits of ``webhook_retry_schedule``, in seconds."""
        return [int(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError(
                "CONTACTHUB_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL"
            )
        if value.startswith(("postgresql:", "postgres:")):
            # Plain postgresql:// would pick psycopg2, which we do not install.
            value = "postgresql+psycopg:" + value.split(":", 1)[1]
        return value


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
