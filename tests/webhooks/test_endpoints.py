"""The webhook endpoints API: secrets shown once, PATCH, DELETE, the URL rules, isolation."""

import base64

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import make_account
from tests.webhooks.conftest import create_hook


def test_create_shows_the_secret_once(hooks: TestClient) -> None:
    answer = hooks.post(
        "/v1/webhooks",
        json={
            "url": "https://hooks.example.com/in",
            "events": ["contact.*", "message.created"],
            "description": "CRM",
        },
    )
    assert answer.status_code == 201
    created = answer.json()["data"]
    assert created["id"].startswith("wh_")
    assert created["events"] == ["contact.*", "message.created"]
    assert created["description"] == "CRM"
    assert created["enabled"] is True
    assert created["createdAt"].endswith("Z")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
    shown = hooks.get(f"/v1/webhooks/{created['id']}").json()["data"]
    assert "secret" not in shown
    listed = hooks.get("/v1/webhooks").json()
    assert [w["id"] for w in listed["data"]] == [created["id"]]
    assert "secret" not in listed["data"][0]
    assert created["secret"] not in hooks.get("/v1/webhooks").text


def test_patch_and_delete(hooks: TestClient) -> None:
    hook = create_hook(hooks, "https://hooks.example.com/a")
    answer = hooks.patch(
        f"/v1/webhooks/{hook['id']}",
        json={
            "url": "https://hooks.example.com/b",
            "events": ["*"],
            "enabled": False,
            "description": None,
        },
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert (data["url"], data["events"], data["enabled"], data["description"]) == (
        "https://hooks.example.com/b",
        ["*"],
        False,
        None,
    )
    assert hooks.get(f"/v1/webhooks/{hook['id']}").json()["data"]["enabled"] is False
    assert hooks.patch(f"/v1/webhooks/{hook['id']}", json={"url": None}).status_code == 400
    assert hooks.delete(f"/v1/webhooks/{hook['id']}").status_code == 200
    assert hooks.get(f"/v1/webhooks/{hook['id']}").status_code == 404
    assert hooks.delete(f"/v1/webhooks/{hook['id']}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/in",
        "http://127.0.0.1:8080/in",
        "http://localhost/in",
        "http://10.1.2.3/in",
        "http://192.168.0.10/in",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/in",
        "http://[::ffff:127.0.0.1]/in",
        "not a url",
    ],
)
def test_private_and_odd_urls_are_refused(api: TestClient, url: str) -> None:
    answer = api.post("/v1/webhooks", json={"url": url, "events": ["*"]})
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"][0]["field"] == "url"


def test_bad_patterns_are_refused(api: TestClient) -> None:
    for events in ([], ["Contact Created"], ["contact.**"]):
        answer = api.post("/v1/webhooks", json={"url": "https://a.example.com", "events": events})
        assert answer.status_code == 400, (events, answer.text)


def test_read_only_keys_may_only_read(private_app: FastAPI, engine: Engine) -> None:
    account = make_account(engine, read_only=True)
    client = TestClient(private_app, headers={"X-API-Key": account.key})
    assert client.get("/v1/webhooks").status_code == 200
    answer = client.post("/v1/webhooks", json={"url": "https://a.example.com", "events": ["*"]})
    assert answer.status_code == 403


def test_another_accounts_webhook_is_not_found(hooks: TestClient, other_api: TestClient) -> None:
    hook = create_hook(hooks, "https://hooks.example.com/mine")
    base = f"/v1/webhooks/{hook['id']}"
    assert other_api.get(base).status_code == 404
    assert other_api.patch(base, json={"enabled": False}).status_code == 404
    assert other_api.delete(base).status_code == 404
    assert other_api.post(f"{base}/rotate-secret").status_code == 404
    assert other_api.get(f"{base}/deliveries").status_code == 404
    answer = other_api.post(f"{base}/recover", json={"since": "2026-01-01T00:00:00Z"})
    assert answer.status_code == 404
    assert other_api.get("/v1/webhooks").json()["data"] == []
    assert hooks.get(base).json()["data"]["enabled"] is True
