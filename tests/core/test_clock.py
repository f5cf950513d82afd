"""Out-of-range times are a 400 naming the field, never a 500 (review M1), on both databases.

A time whose UTC form falls outside the supported range (core/clock.py: years 1 to 9000) is
refused where it is given: ``updatedSince``, either kind of cursor, a message's ``timestamp``.
"""

import base64
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from contacthub.core.clock import parse_wire
from tests.factories import create_contact

BEFORE_YEAR_ONE = "0001-01-01T00:00:00+01:00"  # 31 December of year 0 in UTC
AFTER_9999 = "9999-12-31T23:59:59-01:00"  # year 10000 in UTC


def cursor_of(key: list[str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def assert_refused_naming(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert [detail["field"] for detail in body["details"]] == [field]


@pytest.mark.parametrize("since", [BEFORE_YEAR_ONE, AFTER_9999, "9001-01-01T00:00:00Z"])
def test_updated_since_out_of_range_is_refused(api: TestClient, since: str) -> None:
    response = api.get("/v1/contacts/search", params={"updatedSince": since})

    assert_refused_naming(response, "updatedSince")


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00Z", "9000-12-31T23:59:59.999Z"])
def test_the_ends_of_the_range_are_still_times(api: TestClient, since: str) -> None:
    """Year 1 in UTC is the zero time of Go and .NET, which clients send for "since ever"."""
    contact_id = create_contact(api)

    response = api.get("/v1/contacts/search", params={"updatedSince": since})

    assert response.status_code == 200, response.text
    found = [contact["id"] for contact in response.json()["data"]]
    assert found == ([contact_id] if since.startswith("0001") else [])


@pytest.mark.parametrize("time", [BEFORE_YEAR_ONE, AFTER_9999])
def test_a_search_cursor_out_of_range_is_refused(api: TestClient, time: str) -> None:
    params = {"updatedSince": "2020-01-01T00:00:00Z", "cursor": cursor_of([time, "x"])}

    assert_refused_naming(api.get("/v1/contacts/search", params=params), "cursor")


@pytest.mark.parametrize("time", [BEFORE_YEAR_ONE, AFTER_9999])
def test_a_message_cursor_out_of_range_is_refused(api: TestClient, time: str) -> None:
    contact_id = create_contact(api)

    response = api.get(
        f"/v1/contacts/messages/{contact_id}", params={"cursor": cursor_of([time, "x"])}
    )

    assert_refused_naming(response, "cursor")


@pytest.mark.parametrize(
    "timestamp",
    [
        BEFORE_YEAR_ONE,
        "9999-12-31T23:00:00Z",  # in range itself, but its chat window would end in year 10000
        AFTER_9999,
    ],
)
def test_a_message_timestamp_out_of_range_is_refused(api: TestClient, timestamp: str) -> None:
    contact_id = create_contact(api)
    body = {"direction": "inbound", "body": "x", "timestamp": timestamp}

    response = api.post(f"/v1/contacts/messages/{contact_id}", json=body)

    assert_refused_naming(response, "timestamp")
    assert api.get(f"/v1/contacts/messages/{contact_id}").json()["data"] == []
    assert api.get(f"/v1/contacts/{contact_id}").json()["data"]["isChatWindowOpen"] is False


class TestParseWire:
    def test_overflow_is_a_value_error(self) -> None:
        for text in (BEFORE_YEAR_ONE, AFTER_9999, "9001-01-01T00:00:00Z"):
            with pytest.raises(ValueError, match="between"):
                parse_wire(text)

    def test_the_range_is_inclusive(self) -> None:
        assert parse_wire("0001-01-01T00:00:00Z") == datetime(1, 1, 1, tzinfo=UTC)
        assert parse_wire("9000-12-31T23:59:59.999Z") == datetime(
            9000, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC
        )
