"""JSON objects a client sends (customFields, currentCampaignData, metadata) are stored exactly or
refused with the reason, on both databases.

Python's JSON parser takes ``NaN``, ``Infinity`` and ``1e400`` (inf), which PostgreSQL's jsonb
refuses (a 500, review M3) and SQLite stores as text it reads back as ``null``. Objects nested past
a documented depth and strings with lone surrogates each get their own message (review L10), not
the one for integers past 64 bits.
"""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contacthub.core.wire import MAX_JSON_DEPTH
from tests.factories import create_contact, get_contact, phone

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]


def assert_refused(response: Any, field: str, message: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert [detail["field"] for detail in body["details"]] == [field]
    assert message in body["details"][0]["message"]


def nested(depth: int) -> dict[str, Any]:
    """An object ``depth`` levels deep, itself the first: {"a": {"a": … {}}}."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


class TestNonFiniteNumbers:
    @pytest.mark.parametrize("number", NON_FINITE)
    def test_refused_in_custom_fields_on_create(self, api: TestClient, number: str) -> None:
        body = f'{{"phoneNumber":"{phone()}","customFields":{{"x":{number}}}}}'

        response = api.post("/v1/contacts", content=body)

        assert_refused(response, "customFields", "must be finite JSON numbers")

    @pytest.mark.parametrize("number", NON_FINITE)
    def test_refused_in_campaign_data_on_upsert(self, api: TestClient, number: str) -> None:
        body = f'{{"phoneNumber":"{phone()}","currentCampaignData":{{"x":[1,{{"y":{number}}}]}}}}'

        response = api.post("/v1/contacts/upsert", content=body)

        assert_refused(response, "currentCampaignData", "must be finite JSON numbers")

    @pytest.mark.parametrize("number", NON_FINITE)
    def test_refused_on_update_and_nothing_changes(self, api: TestClient, number: str) -> None:
        contact_id = create_contact(api, customFields={"x": 1})

        response = api.put(
            f"/v1/contacts/{contact_id}", content=f'{{"customFields":{{"x":{number}}}}}'
        )

        assert_refused(response, "customFields", "must be finite JSON numbers")
        assert get_contact(api, contact_id)["customFields"] == {"x": 1}

    @pytest.mark.parametrize("number", NON_FINITE)
    def test_refused_in_message_metadata(self, api: TestClient, number: str) -> None:
        contact_id = create_contact(api)
        body = f'{{"direction":"inbound","body":"x","metadata":{{"a":{number}}}}}'

        response = api.post(f"/v1/contacts/messages/{contact_id}", content=body)

        assert_refused(response, "metadata", "must be finite JSON numbers")
        assert api.get(f"/v1/contacts/messages/{contact_id}").json()["data"] == []

    def test_finite_numbers_within_64_bits_are_stored_exactly(self, api: TestClient) -> None:
        fields = {
            "float": 0.1,
            "tiny": 5e-324,
            "large": 1.5e19,
            "negative": -9.2e18,
            "max": 2**64 - 1,
            "min": -(2**63),
        }
        contact_id = create_contact(api, customFields=fields)

        assert get_contact(api, contact_id)["customFields"] == fields

    @pytest.mark.parametrize("number", ["1e20", "-1e19", "1.7976931348623157e308"])
    def test_a_float_past_64_bits_is_refused(self, api: TestClient, number: str) -> None:
        """PostgreSQL gives such a float back as an integer no reply can carry (a 500 on read)."""
        body = f'{{"phoneNumber":"{phone()}","customFields":{{"x":{number}}}}}'

        response = api.post("/v1/contacts", content=body)

        assert_refused(response, "customFields", "number too large to store")


class TestDepth:
    def test_the_documented_depth_is_stored(self, api: TestClient) -> None:
        fields = nested(MAX_JSON_DEPTH)
        contact_id = create_contact(api, customFields=fields)

        assert get_contact(api, contact_id)["customFields"] == fields

    @pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300])
    def test_deeper_is_refused_with_its_own_message(self, api: TestClient, depth: int) -> None:
        body = json.dumps({"phoneNumber": phone(), "customFields": nested(depth)})

        response = api.post("/v1/contacts", content=body)

        assert_refused(
            response, "customFields", f"may be nested at most {MAX_JSON_DEPTH} levels deep"
        )

    def test_arrays_count_as_levels(self, api: TestClient) -> None:
        value: Any = 1
        for _ in range(MAX_JSON_DEPTH):
            value = [value]
        body = json.dumps({"phoneNumber": phone(), "customFields": {"a": value}})

        response = api.post("/v1/contacts", content=body)

        assert_refused(
            response, "customFields", f"may be nested at most {MAX_JSON_DEPTH} levels deep"
        )


class TestStrings:
    @pytest.mark.parametrize("fields", ['{"x":"\\udfff"}', '{"\\ud800":1}', '{"x":["a\\udfffb"]}'])
    def test_a_lone_surrogate_is_refused_with_its_own_message(
        self, api: TestClient, fields: str
    ) -> None:
        body = f'{{"phoneNumber":"{phone()}","customFields":{fields}}}'

        response = api.post("/v1/contacts", content=body)

        assert_refused(response, "customFields", "lone surrogate")

    def test_an_integer_past_64_bits_keeps_its_message(self, api: TestClient) -> None:
        body = f'{{"phoneNumber":"{phone()}","customFields":{{"x":{2**64}}}}}'

        response = api.post("/v1/contacts", content=body)

        assert_refused(response, "customFields", "integer too large to store")
