"""GET and PATCH /v1/account: the caller's own account and its default country (API.md §1)."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import Account, assert_error, assert_invalid, make_account


def test_get_shows_the_account_of_the_key(api: TestClient, account: Account) -> None:
    response = api.get("/v1/account")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert set(body["data"]) == {"id", "name", "defaultCountry", "createdAt"}
    assert body["data"]["id"] == account.id
    assert body["data"]["name"] == account.name
    assert body["data"]["defaultCountry"] is None
    assert body["data"]["createdAt"].endswith("Z")


def test_patch_sets_and_clears_the_default_country(api: TestClient) -> None:
    response = api.patch("/v1/account", json={"defaultCountry": "nl"})

    assert response.status_code == 200
    assert response.json()["data"]["defaultCountry"] == "NL"
    assert api.get("/v1/account").json()["data"]["defaultCountry"] == "NL"

    assert api.patch("/v1/account", json={}).json()["data"]["defaultCountry"] == "NL"
    cleared = api.patch("/v1/account", json={"defaultCountry": None})
    assert cleared.json()["data"]["defaultCountry"] is None
    assert api.get("/v1/account").json()["data"]["defaultCountry"] is None


def test_an_unknown_country_or_field_is_400_naming_it(api: TestClient) -> None:
    for country in ("XX", "NLD", "", "001", 31):
        assert_invalid(api.patch("/v1/account", json={"defaultCountry": country}), "defaultCountry")
    assert_invalid(api.patch("/v1/account", json={"name": "renamed"}), "name")
    assert api.get("/v1/account").json()["data"]["defaultCountry"] is None


def test_a_read_only_key_reads_but_may_not_patch(app: FastAPI, engine: Engine) -> None:
    reader = make_account(engine, read_only=True)
    client = TestClient(app, headers={"X-API-Key": reader.key}, raise_server_exceptions=False)

    assert client.get("/v1/account").status_code == 200
    assert_error(client.patch("/v1/account", json={"defaultCountry": "NL"}), 403, "forbidden")
    assert client.get("/v1/account").json()["data"]["defaultCountry"] is None


def test_no_key_is_401(anonymous: TestClient) -> None:
    assert_error(anonymous.get("/v1/account"), 401)
    assert_error(anonymous.patch("/v1/account", json={"defaultCountry": "NL"}), 401)


def test_one_accounts_country_is_not_anothers(api: TestClient, other_api: TestClient) -> None:
    api.patch("/v1/account", json={"defaultCountry": "DE"})

    assert other_api.get("/v1/account").json()["data"]["defaultCountry"] is None
