"""PUT and PATCH /v1/contacts/{contactId}: only the fields sent change, null clears, 409 on a taken id."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import CONTACT_NOT_FOUND, create_contact, create_list, get_contact, phone

# Both methods behave the same: only the fields sent change.
METHODS = pytest.mark.parametrize("method", ["PUT", "PATCH"])

FULL = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada@example.com",
    "instagramId": "ada.ig",
    "currentCampaign": "spring",
    "currentCampaignData": {"step": 2},
    "channel": "whatsapp",
    "externalId": "crm-ada",
    "customChannel": "crm",
    "chatWidgetId": "w1",
    "is_bot_active": False,
    "do_not_disturb": True,
    "isChatWindowOpen": True,
    "customFields": {"plan": "pro", "seats": 3},
}

NULLABLE = [
    "email",
    "instagramId",
    "currentCampaign",
    "currentCampaignData",
    "channel",
    "externalId",
    "customChannel",
    "chatWidgetId",
]

NOT_NULLABLE = [
    "phoneNumber",
    "firstName",
    "lastName",
    "isChatWindowOpen",
    "is_bot_active",
    "do_not_disturb",
    "customFields",
]


def full_contact(api: TestClient) -> str:
    """A contact with every field set (unique identifiers made unique)."""
    suffix = phone()[-7:]
    return create_contact(
        api,
        **{**FULL, "instagramId": f"ig{suffix}", "externalId": f"crm{suffix}"},
        tags=["vip"],
        listId=create_list(api),
    )


def update(api: TestClient, method: str, contact_id: str, body: Any) -> Any:
    """The update's response."""
    return api.request(method, f"/v1/contacts/{contact_id}", json=body)


def without(contact: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in contact.items() if k not in {"updatedAt", *fields}}


class TestUpdate:
    @METHODS
    def test_answers_the_seed_shape_with_the_updated_contact(
        self, api: TestClient, method: str
    ) -> None:
        contact_id = create_contact(api, firstName="Ann")

        response = update(api, method, contact_id, {"firstName": "Anna"})

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": "Contact updated successfully",
            "contact": get_contact(api, contact_id),
        }
        assert response.json()["contact"]["firstName"] == "Anna"

    @METHODS
    def test_omitted_fields_keep_their_value(self, api: TestClient, method: str) -> None:
        contact_id = full_contact(api)
        before = get_contact(api, contact_id)

        update(api, method, contact_id, {"lastName": "King"})

        after = get_contact(api, contact_id)
        assert after["lastName"] == "King"
        assert without(after, "lastName") == without(before, "lastName")

    @METHODS
    def test_changes_every_writable_field(self, api: TestClient, method: str) -> None:
        contact_id = create_contact(api)
        body = {**FULL, "phoneNumber": "+44 20 7946 0958", "email": "Ada@Example.com"}

        response = update(api, method, contact_id, body)

        assert response.status_code == 200, response.text
        contact = get_contact(api, contact_id)
        assert contact["phoneNumber"] == "+442079460958"
        assert contact["email"] == "Ada@example.com"
        for field, value in FULL.items():
            if field != "email":
                assert contact[field] == value, field

    def test_accepts_the_aliases_real_clients_send(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        number = phone()

        response = api.put(
            f"/v1/contacts/{contact_id}",
            json={
                "phone": number,
                "isBotActive": False,
                "doNotDisturb": True,
                "custom_fields": {"a": 1},
            },
        )

        assert response.status_code == 200, response.text
        contact = get_contact(api, contact_id)
        assert contact["phoneNumber"] == number
        assert contact["is_bot_active"] is False
        assert contact["do_not_disturb"] is True
        assert contact["customFields"] == {"a": 1}

    def test_a_new_phone_number_is_found_and_the_old_one_is_not(self, api: TestClient) -> None:
        old = phone()
        contact_id = create_contact(api, phoneNumber=old)

        update(api, "PUT", contact_id, {"phoneNumber": "1 (415) 555-0199"})

        assert get_contact(api, contact_id)["phoneNumber"] == "+14155550199"
        found = api.get("/v1/contacts", params={"phoneNumber": "+14155550199"})
        assert found.json()["contactId"] == contact_id
        assert api.get("/v1/contacts", params={"phoneNumber": old}).status_code == 404

    def test_the_chat_window_can_be_set_either_way(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        update(api, "PATCH", contact_id, {"isChatWindowOpen": True})
        assert get_contact(api, contact_id)["isChatWindowOpen"] is True

        update(api, "PATCH", contact_id, {"isChatWindowOpen": False})
        assert get_contact(api, contact_id)["isChatWindowOpen"] is False

    @METHODS
    def test_updated_at_moves_and_created_at_does_not(self, api: TestClient, method: str) -> None:
        contact_id = create_contact(api)
        before = get_contact(api, contact_id)
        time.sleep(0.01)

        response = update(api, method, contact_id, {"firstName": "Later"})

        contact = response.json()["contact"]
        assert contact["updatedAt"] > before["updatedAt"]
        assert contact["createdAt"] == before["createdAt"]
        assert get_contact(api, contact_id)["updatedAt"] == contact["updatedAt"]

    def test_an_empty_body_changes_nothing(self, api: TestClient) -> None:
        contact_id = full_contact(api)
        before = get_contact(api, contact_id)

        response = update(api, "PUT", contact_id, {})

        assert response.status_code == 200
        assert response.json()["contact"] == before
        assert get_contact(api, contact_id) == before

    @METHODS
    def test_an_unknown_contact_is_404(self, api: TestClient, method: str) -> None:
        for contact_id in ("ct_01JD0000000000000000000000", "nope"):
            response = update(api, method, contact_id, {"firstName": "Ann"})
            assert response.status_code == 404, contact_id
            assert response.json() == CONTACT_NOT_FOUND


class TestNull:
    @pytest.mark.parametrize("field", NULLABLE)
    def test_null_clears_a_nullable_field(self, api: TestClient, field: str) -> None:
        contact_id = full_contact(api)
        before = get_contact(api, contact_id)
        assert before[field] is not None

        response = update(api, "PUT", contact_id, {field: None})

        assert response.status_code == 200, response.text
        after = get_contact(api, contact_id)
        assert after[field] is None
        assert without(after, field) == without(before, field)

    def test_a_cleared_identifier_is_free_for_another_contact(self, api: TestClient) -> None:
        first = create_contact(api, externalId="crm-free", instagramId="ig.free")
        update(api, "PATCH", first, {"externalId": None, "instagramId": None})

        second = create_contact(api)
        response = update(
            api, "PATCH", second, {"externalId": "crm-free", "instagramId": "ig.free"}
        )

        assert response.status_code == 200, response.text
        assert get_contact(api, second)["externalId"] == "crm-free"

    @pytest.mark.parametrize("field", NOT_NULLABLE)
    @METHODS
    def test_null_for_any_other_field_is_400_and_changes_nothing(
        self, api: TestClient, method: str, field: str
    ) -> None:
        contact_id = full_contact(api)
        before = get_contact(api, contact_id)

        response = update(api, method, contact_id, {field: None, "channel": "changed"})

        assert response.status_code == 400
        body = response.json()
        assert body["success"] is False
        assert body["error"] == "validation_error"
        assert {"field": field, "message": "may not be null"} in body["details"]
        assert get_contact(api, contact_id) == before


class TestReadOnlyFields:
    @pytest.mark.parametrize(
        "body",
        [
            {"tags": ["new"]},
            {"tags": []},
            {"tags": None},
            {"listIds": []},
            {"listIds": None},
            {"listIds": ["ls_x"]},
        ],
    )
    @METHODS
    def test_tags_and_list_ids_are_400_and_change_nothing(
        self, api: TestClient, method: str, body: dict[str, Any]
    ) -> None:
        contact_id = full_contact(api)
        before = get_contact(api, contact_id)

        response = update(api, method, contact_id, {**body, "firstName": "Changed"})

        assert response.status_code == 400
        field = next(iter(body))
        assert [detail["field"] for detail in response.json()["details"]] == [field]
        assert get_contact(api, contact_id) == before


class TestInvalid:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"phoneNumber": "+1234567890"}, "phoneNumber"),
            ({"email": "not-an-email"}, "email"),
            ({"firstName": "x" * 256}, "firstName"),
            ({"externalId": "x" * 256}, "externalId"),
            ({"is_bot_active": "no"}, "is_bot_active"),
            ({"customFields": ["not", "an", "object"]}, "customFields"),
            ({"customFields": {"big": "x" * 70_000}}, "customFields"),
            ({"fristName": "Ann"}, "fristName"),
            ({"listId": "ls_x"}, "listId"),
            ({"id": "ct_other"}, "id"),
            ({"createdAt": "2020-01-01T00:00:00Z"}, "createdAt"),
        ],
    )
    def test_an_invalid_body_is_400_naming_the_field_and_changes_nothing(
        self, api: TestClient, body: dict[str, Any], field: str
    ) -> None:
        contact_id = full_contact(api)
        before = get_contact(api, contact_id)

        response = update(api, "PUT", contact_id, {**body, "lastName": "Changed"})

        assert response.status_code == 400
        assert response.json()["success"] is False
        assert response.json()["details"][0]["field"] == field
        assert get_contact(api, contact_id) == before

    def test_malformed_json_is_400(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        before = get_contact(api, contact_id)

        response = api.put(
            f"/v1/contacts/{contact_id}",
            content=b'{"firstName": ',
            headers={"Content-Type": "application/json"},
        )

        assert response.status_code == 400
        assert response.json()["success"] is False
        assert get_contact(api, contact_id) == before


class TestConflicts:
    @pytest.mark.parametrize(
        ("field", "taken", "sent"),
        [
            ("phoneNumber", "+14155550142", "1 (415) 555-0142"),
            ("externalId", "crm-taken", "crm-taken"),
            ("instagramId", "ig.taken", "ig.taken"),
        ],
    )
    @METHODS
    def test_an_identifier_of_another_contact_is_409_naming_it(
        self, api: TestClient, method: str, field: str, taken: str, sent: str
    ) -> None:
        holder = create_contact(api, **{field: taken})
        contact_id = full_contact(api)
        before = get_contact(api, contact_id)
        holder_before = get_contact(api, holder)

        response = update(api, method, contact_id, {field: sent, "firstName": "Changed"})

        assert response.status_code == 409
        body = response.json()
        assert body["success"] is False
        assert body["error"] == "contact_exists"
        assert body["contactId"] == holder
        assert body["message"]
        assert [detail["field"] for detail in body["details"]] == [field]
        assert get_contact(api, contact_id) == before
        assert get_contact(api, holder) == holder_before

    def test_its_own_identifiers_in_another_spelling_are_not_a_conflict(
        self, api: TestClient
    ) -> None:
        contact_id = create_contact(
            api, phoneNumber="+14155550143", externalId="crm-own", instagramId="ig.own"
        )

        response = update(
            api,
            "PUT",
            contact_id,
            {
                "phoneNumber": "14155550143",
                "externalId": "crm-own",
                "instagramId": "ig.own",
                "firstName": "Same",
            },
        )

        assert response.status_code == 200, response.text
        assert response.json()["contact"]["phoneNumber"] == "+14155550143"
        assert response.json()["contact"]["firstName"] == "Same"

    def test_a_phone_given_up_by_one_contact_can_be_taken_by_another(self, api: TestClient) -> None:
        number = phone()
        first = create_contact(api, phoneNumber=number)
        second = create_contact(api)

        assert update(api, "PATCH", first, {"phoneNumber": phone()}).status_code == 200
        response = update(api, "PATCH", second, {"phoneNumber": number})

        assert response.status_code == 200, response.text
        assert get_contact(api, second)["phoneNumber"] == number

    def test_another_accounts_identifiers_are_no_conflict(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        number = phone()
        create_contact(other_api, phoneNumber=number, externalId="crm-shared")
        contact_id = create_contact(api)

        response = update(
            api, "PUT", contact_id, {"phoneNumber": number, "externalId": "crm-shared"}
        )

        assert response.status_code == 200, response.text
        assert get_contact(api, contact_id)["phoneNumber"] == number


class TestCustomFields:
    @METHODS
    def test_custom_fields_merge_and_null_removes_a_key(self, api: TestClient, method: str) -> None:
        contact_id = create_contact(
            api, customFields={"plan": "pro", "seats": 3, "address": {"city": "Paris"}}
        )

        response = update(
            api,
            method,
            contact_id,
            {"customFields": {"seats": None, "address": {"zip": "75001"}, "vat": "FR1"}},
        )

        assert response.status_code == 200, response.text
        expected = {"plan": "pro", "address": {"zip": "75001"}, "vat": "FR1"}
        assert response.json()["contact"]["customFields"] == expected
        assert get_contact(api, contact_id)["customFields"] == expected

    def test_an_empty_object_keeps_every_custom_field(self, api: TestClient) -> None:
        contact_id = create_contact(api, customFields={"plan": "pro"})

        update(api, "PATCH", contact_id, {"customFields": {}})

        assert get_contact(api, contact_id)["customFields"] == {"plan": "pro"}

    def test_removing_an_absent_key_is_harmless(self, api: TestClient) -> None:
        contact_id = create_contact(api, customFields={"plan": "pro"})

        response = update(api, "PATCH", contact_id, {"customFields": {"never": None}})

        assert response.status_code == 200
        assert get_contact(api, contact_id)["customFields"] == {"plan": "pro"}

    def test_other_fields_leave_custom_fields_alone(self, api: TestClient) -> None:
        contact_id = create_contact(api, customFields={"plan": "pro"})

        update(api, "PUT", contact_id, {"firstName": "Ann"})

        assert get_contact(api, contact_id)["customFields"] == {"plan": "pro"}
