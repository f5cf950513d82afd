"""Phone numbers of any size cost bounded memory: refused by length before any parsing, never cached.

The review (H1) filled a process with 1 MB phone numbers: each padded spelling of a valid number
parsed, and was kept in a cache keyed by the raw text. Every place that takes a phone number now
refuses more than 64 characters, by name, and nothing keeps what the client sent.
"""

import gc
import json
import tracemalloc
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import create_contact, phone

MEGABYTE = 1_000_000


def padded(number: str, size: int) -> str:
    """A valid spelling of ``number`` padded with spaces to ``size`` characters."""
    return number[:5] + " " * (size - len(number)) + number[5:]


def assert_refused_naming(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text[:500]
    body = response.json()
    assert body["error"] == "validation_error"
    assert [detail["field"] for detail in body["details"]] == [field]
    assert len(response.content) < 2_000  # the input is not echoed


class TestBodies:
    def test_a_megabyte_phone_number_is_refused_on_create(self, api: TestClient) -> None:
        body = json.dumps({"phoneNumber": padded(phone(), MEGABYTE - 40)})

        assert_refused_naming(api.post("/v1/contacts", content=body), "phoneNumber")

    def test_a_megabyte_phone_number_is_refused_on_upsert(self, api: TestClient) -> None:
        body = json.dumps({"phoneNumber": padded(phone(), MEGABYTE - 40)})

        assert_refused_naming(api.post("/v1/contacts/upsert", content=body), "phoneNumber")

    def test_a_megabyte_phone_number_is_refused_on_update_even_of_a_missing_contact(
        self, api: TestClient
    ) -> None:
        body = json.dumps({"phoneNumber": padded(phone(), MEGABYTE - 40)})

        response = api.put("/v1/contacts/ct_nonexistent", content=body)

        assert_refused_naming(response, "phoneNumber")

    def test_a_megabyte_phone_number_is_refused_when_tagging(self, api: TestClient) -> None:
        body = json.dumps({"tag": "vip", "phoneNumber": padded(phone(), MEGABYTE - 60)})

        assert_refused_naming(api.post("/v1/tags", content=body), "phoneNumber")

    def test_a_long_email_is_refused_when_tagging(self, api: TestClient) -> None:
        body = json.dumps({"tag": "vip", "email": "a" * 100_000 + "@example.com"})

        assert_refused_naming(api.post("/v1/tags", content=body), "email")

    def test_sixty_four_characters_are_still_a_number_and_sixty_five_are_not(
        self, api: TestClient
    ) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=padded(number, 64))

        assert api.get(f"/v1/contacts/{contact_id}").json()["data"]["phoneNumber"] == number
        response = api.post("/v1/contacts", json={"phoneNumber": padded(phone(), 65)})
        assert_refused_naming(response, "phoneNumber")
        lookup = api.get("/v1/contacts", params={"phoneNumber": padded(number, 65)})
        assert_refused_naming(lookup, "phoneNumber")


class TestQueries:
    def test_a_long_phone_number_is_refused_on_lookup(self, api: TestClient) -> None:
        response = api.get("/v1/contacts", params={"phoneNumber": padded(phone(), 60_000)})

        assert_refused_naming(response, "phoneNumber")

    def test_a_long_phone_number_is_refused_when_tagging(self, api: TestClient) -> None:
        response = api.post(
            "/v1/tags", params={"tag": "vip", "phoneNumber": padded(phone(), 60_000)}
        )

        assert_refused_naming(response, "phoneNumber")

    def test_a_long_email_is_refused_on_lookup(self, api: TestClient) -> None:
        response = api.get("/v1/contacts", params={"email": "a" * 10_000 + "@example.com"})

        assert_refused_naming(response, "email")


def test_padded_spellings_leave_nothing_behind(api: TestClient) -> None:
    """Memory after many padded spellings is what it was: nothing the client sent is kept."""
    number = phone()
    contact_id = create_contact(api, phoneNumber=number)
    api.put(f"/v1/contacts/{contact_id}", json={"phoneNumber": number})  # warm every cache
    statuses = set()
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(40):
            body = json.dumps({"phoneNumber": padded(number, 200_000 - i)})
            statuses.add(api.put(f"/v1/contacts/{contact_id}", content=body).status_code)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert grown < 1_000_000, grown  # 40 kept spellings would be 8 MB
    assert statuses == {400}
