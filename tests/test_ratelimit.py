"""Rate limits: a token bucket per key, headers on every /v1 answer, 429 with Retry-After."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx2 as httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.accounts import service as accounts
from contacthub.app import create_app
from contacthub.config import Settings
from contacthub.core import db
from contacthub.core.security import new_key
from tests.factories import Account, make_account
from tests.server import Server

REDIS_URL = "redis://127.0.0.1:6379/0"
SLOW = 0.05  # tokens a second: one every 20 s


@contextmanager
def client(settings: Settings, key: str | None = None, **limits: object) -> Iterator[TestClient]:
    """A client of an app with these limits, run in one event loop (as a server runs it)."""
    app = create_app(settings.model_copy(update=limits))
    headers = {"X-API-Key": key} if key else {}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def limited(settings: Settings) -> Iterator[FastAPI]:
    """The app with a small limit: bursts of 3, one token back every 20 s (so that a slow machine
    refills nothing between a test's requests)."""
    app = create_app(settings.model_copy(update={"rate_limit": SLOW, "rate_burst": 3}))
    with TestClient(app):
        yield app


def test_the_fourth_request_of_a_burst_is_429(limited: FastAPI, account: Account) -> None:
    client = TestClient(limited, headers={"X-API-Key": account.key})
    answers = [client.get("/v1/tags") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
    refused = answers[3]
    assert refused.headers["Retry-After"] == "20"
    assert refused.json()["error"] == "rate_limited"
    assert refused.json()["success"] is False
    assert int(refused.headers["X-RateLimit-Reset"]) >= 20


def test_each_key_has_its_own_bucket(
    limited: FastAPI, account: Account, other_account: Account
) -> None:
    first = TestClient(limited, headers={"X-API-Key": account.key})
    second = TestClient(limited)
    for _ in range(3):
        first.get("/v1/tags")

    assert first.get("/v1/tags").status_code == 429
    assert second.get("/v1/tags", params={"apiKey": other_account.key}).status_code == 200


def test_the_same_key_sent_another_way_shares_the_bucket(
    limited: FastAPI, account: Account
) -> None:
    for _ in range(3):
        TestClient(limited, headers={"Authorization": f"Bearer {account.key}"}).get("/v1/tags")

    assert TestClient(limited).get("/v1/tags", params={"apiKey": account.key}).status_code == 429


def test_requests_without_a_key_are_limited_by_address(limited: FastAPI) -> None:
    client = TestClient(limited)
    answers = [client.get("/v1/tags").status_code for _ in range(4)]

    assert answers == [401, 401, 401, 429]


def test_operations_endpoints_are_not_limited(limited: FastAPI) -> None:
    client = TestClient(limited)

    assert {client.get("/healthz").status_code for _ in range(5)} == {200}


def test_zero_turns_limiting_off(settings: Settings, account: Account) -> None:
    with client(settings, account.key, rate_limit=0, rate_burst=1) as api:
        answers = [api.get("/v1/tags") for _ in range(5)]

    assert {a.status_code for a in answers} == {200}
    assert "X-RateLimit-Limit" not in answers[0].headers


def test_processes_share_buckets_through_redis(settings: Settings, account: Account) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip("Redis does not answer at 127.0.0.1:6379")
    limits = {"rate_limit": SLOW, "rate_burst": 3, "redis_url": REDIS_URL}
    # Two apps with their own memory, as two server processes would have.
    with (
        client(settings, account.key, **limits) as one,
        client(settings, account.key, **limits) as two,
    ):
        statuses = [
            one.get("/v1/tags"),
            two.get("/v1/tags"),
            one.get("/v1/tags"),
            two.get("/v1/tags"),
        ]

    assert [s.status_code for s in statuses] == [200, 200, 200, 429]
    stored = redis.Redis.from_url(REDIS_URL).keys("contacthub:rate:*")
    assert stored
    assert all(account.key.encode() not in name for name in stored)


def test_redis_down_lets_requests_through(settings: Settings, account: Account) -> None:
    down = {"rate_limit": 1, "rate_burst": 1, "redis_url": "redis://127.0.0.1:1/0"}
    with client(settings, account.key, **down) as api:
        statuses = [api.get("/v1/tags").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


class TestOnlyKnownKeysHaveTheirOwnBucket:
    """M6: a key is charged only once it is known to be live; any other request is charged to
    the client address, so invented keys cannot escape the limit."""

    def test_invented_well_formed_keys_share_the_address_bucket(self, limited: FastAPI) -> None:
        client = TestClient(limited)
        answers = [client.get("/v1/tags", headers={"X-API-Key": new_key()}) for _ in range(5)]

        assert [a.status_code for a in answers] == [
            401,
            401,
            401,
            429,
            429,
        ]  # before: 401 five times

    def test_malformed_keys_share_the_address_bucket(self, limited: FastAPI) -> None:
        client = TestClient(limited)
        sent = [{"X-API-Key": str(n)} for n in range(3)] + [{"Authorization": "Bearer junk"}]

        assert [client.get("/v1/tags", headers=h).status_code for h in sent] == [401] * 3 + [429]

    def test_no_key_invented_and_revoked_keys_are_one_address(
        self, limited: FastAPI, engine: Engine
    ) -> None:
        revoked = make_account(engine)
        with db.write(engine) as conn:
            accounts.rotate_keys(conn, revoked.id)
        client = TestClient(limited)
        answers = [
            client.get("/v1/tags"),
            client.get("/v1/tags", params={"apiKey": new_key()}),
            client.get("/v1/tags", headers={"X-API-Key": revoked.key}),
            client.get("/v1/tags", headers={"X-API-Key": "x"}),
        ]

        assert [a.status_code for a in answers] == [401, 401, 401, 429]

    def test_a_live_key_keeps_its_own_bucket_when_the_address_is_spent(
        self, limited: FastAPI, account: Account
    ) -> None:
        client = TestClient(limited)
        for _ in range(4):
            client.get("/v1/tags", headers={"X-API-Key": new_key()})

        mine = [client.get("/v1/tags", headers={"X-API-Key": account.key}) for _ in range(4)]

        assert [a.status_code for a in mine] == [200, 200, 200, 429]
        assert mine[0].headers["X-RateLimit-Remaining"] == "2"


def test_trusted_proxies_is_a_list_of_addresses_and_networks(settings: Settings) -> None:
    parsed = Settings.model_validate(
        {"database_url": settings.database_url, "trusted_proxies": " 10.0.0.1, 10.1.0.0/16 ,"}
    )
    assert parsed.trusted_proxies == ["10.0.0.1", "10.1.0.0/16"]
    assert Settings(database_url=settings.database_url).trusted_proxies == []
    with pytest.raises(ValueError, match="CONTACTHUB_TRUSTED_PROXIES"):
        Settings.model_validate({"database_url": settings.database_url, "trusted_proxies": "me"})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        (None, [401, 401, 401, 429, 429, 429]),  # before: 401 six times from loopback
        ("10.9.9.9, 192.168.0.0/16", [401, 401, 401, 429, 429, 429]),  # not our peer
        ("127.0.0.1", [401] * 6),  # a trusted proxy: each forwarded client has its own bucket
    ],
)
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    database_url: str, trusted: str | None, expected: list[int]
) -> None:
    env = {"CONTACTHUB_RATE_LIMIT": str(SLOW), "CONTACTHUB_RATE_BURST": "3"}
    if trusted is not None:
        env["CONTACTHUB_TRUSTED_PROXIES"] = trusted
    server = Server(database_url, env=env).start()
    try:
        answers = [
            httpx.get(f"{server.url}/v1/tags", headers={"X-Forwarded-For": f"10.0.0.{n}"})
            for n in range(6)
        ]
    finally:
        server.stop()

    assert [a.status_code for a in answers] == expected
