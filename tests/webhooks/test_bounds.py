"""Bounds on webhook input, and the address guard when an endpoint is made (review 3, 9)."""

import pytest
from fastapi.testclient import TestClient

from contacthub.webhooks import service as webhooks
from tests.webhooks.conftest import create_hook


@pytest.mark.parametrize(
    "url",
    [
        "http://100.100.100.200/latest/meta-data",  # carrier-grade NAT (Alibaba's metadata)
        "http://100.64.0.1/in",
        "http://[2002:7f00:1::1]/in",  # 6to4 wrapping 127.0.0.1
        "http://[2002:a9fe:a9fe::1]/in",  # 6to4 wrapping 169.254.169.254
        "http://[64:ff9b::a9fe:a9fe]/in",  # NAT64 of 169.254.169.254
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/in",  # Teredo
        "http://240.0.0.1/in",
        "http://a b/h",
        "http://exa$mple.com/h",
    ],
)
def test_non_public_and_malformed_hosts_are_refused(api: TestClient, url: str) -> None:
    answer = api.post("/v1/webhooks", json={"url": url, "events": ["*"]})
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"][0]["field"] == "url"


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/in", "http://[2002:808:808::1]/in", "http://8.8.8.8/in"]
)
def test_public_hosts_are_accepted(api: TestClient, url: str) -> None:
    assert api.post("/v1/webhooks", json={"url": url, "events": ["*"]}).status_code == 201


def test_a_pattern_is_at_most_64_characters(api: TestClient) -> None:
    url = "https://hooks.example.com/in"
    too_long = api.post("/v1/webhooks", json={"url": url, "events": ["a" * 65]})
    assert too_long.status_code == 400
    assert too_long.json()["details"][0]["field"] == "events"
    assert "64" in too_long.json()["details"][0]["message"]
    assert api.post("/v1/webhooks", json={"url": url, "events": ["a" * 64]}).status_code == 201


def test_an_account_has_at_most_50_webhooks(api: TestClient) -> None:
    for n in range(webhooks.MAX_WEBHOOKS):
        create_hook(api, f"https://hooks.example.com/{n}")
    answer = api.post("/v1/webhooks", json={"url": "https://hooks.example.com/x", "events": ["*"]})
    assert answer.status_code == 400
    assert "50" in answer.json()["details"][0]["message"]
    assert len(api.get("/v1/webhooks", params={"limit": 500}).json()["data"]) == 50


def test_recover_names_since_in_its_own_words(api: TestClient) -> None:
    hook = create_hook(api, "https://hooks.example.com/in")
    answer = api.post(f"/v1/webhooks/{hook['id']}/recover", json={"since": "x"})
    assert answer.status_code == 400
    detail = answer.json()["details"][0]
    assert detail["field"] == "since"
    assert "isoformat" not in detail["message"]
    assert "ISO 8601" in detail["message"]


def test_the_feeds_types_parameter_is_bounded(api: TestClient) -> None:
    answer = api.get("/v1/events", params={"types": ",".join(["contact.created"] * 200)})
    assert answer.status_code == 400
    assert answer.json()["details"][0]["field"] == "types"
    long_pattern = api.get("/v1/events", params={"types": "a" * 65})
    assert long_pattern.status_code == 400
    assert api.get("/v1/events", params={"types": "contact.*,message.created"}).status_code == 200
