"""What clients of the original read beyond the seed (API.md §2), on every route that shows a
contact, and the create answer where they look for the id (§3)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_error, assert_invalid, create_contact, create_list, phone

SUPERSET = {
    "isBotActive",
    "doNotDisturb",
    "doNotDisturbReason",
    "lastIncomingMessageAt",
    "lastActivityAt",
    "hasHadActivity",
    "botMessageCount",
}


def every_shown(api: TestClient, contact_id: str, number: str, list_id: str) -> dict[str, Any]:
    """The contact as each route that shows one shows it, by route."""
    api.get("/v1/contacts", params={"phoneNumber": "+14155550199"})  # the key's first use
    shown = {
        "GET /v1/contacts (hot path)": api.get("/v1/contacts", params={"phoneNumber": number}),
        "GET /v1/contacts (route)": api.get(
            "/v1/contacts", params={"phoneNumber": f"{number[:5]} {number[5:]}"}
        ),
        "GET /v1/contacts/{id}": api.get(f"/v1/contacts/{contact_id}"),
        "PUT /v1/contacts/{id}": api.put(f"/v1/contacts/{contact_id}", json={}),
        "PATCH /v1/contacts/{id}": api.patch(f"/v1/contacts/{contact_id}", json={}),
        "GET /v1/contacts/search": api.get("/v1/contacts/search", params={"q": number}),
        "GET /v1/lists/{id}/contacts": api.get(f"/v1/lists/{list_id}/contacts"),
    }
    contacts: dict[str, Any] = {}
    for route, response in shown.items():
        assert response.status_code == 200, (route, response.text)
        body = response.json()
        contact = body.get("contact") or body["data"]
        contacts[route] = contact[0] if isinstance(contact, list) else contact
    return contacts


class TestCreateAnswer:
    def test_carries_the_id_and_the_contact_at_the_top_level_beside_the_seeds_data(
        self, api: TestClient
    ) -> None:
        number = phone()
        response = api.post("/v1/contacts", json={"phoneNumber": number, "firstName": "Ann"})

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"success", "data", "contactId", "contact"}
        assert body["data"] == {
            "message": "Successfully created new contact",
            "contactId": body["contactId"],
        }
        assert body["contact"] == api.get(f"/v1/contacts/{body['contactId']}").json()["data"]
        assert body["contact"]["phoneNumber"] == number
        assert body["contact"]["firstName"] == "Ann"


class TestContactExists:
    def test_a_create_409_carries_error_code(self, api: TestClient) -> None:
        number = phone()
        first = create_contact(api, phoneNumber=number)

        body = assert_error(api.post("/v1/contacts", json={"phoneNumber": number}), 409)

        assert body["error"] == "contact_exists"
        assert body["error_code"] == 409
        assert body["contactId"] == first

    def test_an_update_409_carries_error_code(self, api: TestClient) -> None:
        number = phone()
        holder = create_contact(api, phoneNumber=number)
        other = create_contact(api)

        response = api.put(f"/v1/contacts/{other}", json={"phoneNumber": number})

        body = assert_error(response, 409, "contact_exists")
        assert body["error_code"] == 409
        assert body["contactId"] == holder

    def test_an_upsert_409_carries_error_code(self, api: TestClient) -> None:
        holder = create_contact(api, externalId="crm-1")

        response = api.post(
            "/v1/contacts/upsert", json={"phoneNumber": phone(), "externalId": "crm-1"}
        )

        body = assert_error(response, 409, "contact_exists")
        assert body["error_code"] == 409
        assert body["contactId"] == holder

    def test_other_errors_carry_no_error_code(self, api: TestClient) -> None:
        response = api.get("/v1/contacts/ct_01JD0000000000000000000000")

        assert "error_code" not in assert_error(response, 404)


class TestEveryRoute:
    def test_a_new_contact_shows_each_field_with_its_default(self, api: TestClient) -> None:
        number = phone()
        list_id = create_list(api)
        contact_id = create_contact(api, phoneNumber=number, listId=list_id)

        for route, contact in every_shown(api, contact_id, number, list_id).items():
            assert set(contact) >= SUPERSET, route
            assert {name: contact[name] for name in SUPERSET} == {
                "isBotActive": True,
                "doNotDisturb": False,
                "doNotDisturbReason": None,
                "lastIncomingMessageAt": None,
                "lastActivityAt": None,
                "hasHadActivity": False,
                "botMessageCount": 0,
            }, route

    def test_every_route_shows_the_same_values_after_messages_and_writes(
        self, api: TestClient
    ) -> None:
        number = phone()
        list_id = create_list(api)
        contact_id = create_contact(
            api,
            phoneNumber=number,
            listId=list_id,
            isBotActive=False,
            doNotDisturb=True,
            doNotDisturbReason="asked on the phone",
        )
        inbound = {"direction": "inbound", "body": "hi", "timestamp": "2026-11-26T10:00:00Z"}
        outbound = {"direction": "outbound", "body": "hello", "timestamp": "2026-11-26T10:01:00Z"}
        for message in (inbound, outbound):
            response = api.post(f"/v1/contacts/messages/{contact_id}", json=message)
            assert response.status_code == 201, response.text

        expected = {
            "isBotActive": False,
            "is_bot_active": False,
            "doNotDisturb": True,
            "do_not_disturb": True,
            "doNotDisturbReason": "asked on the phone",
            "lastIncomingMessageAt": "2026-11-26T10:00:00.000Z",
            "lastActivityAt": "2026-11-26T10:01:00.000Z",
            "hasHadActivity": True,
            "botMessageCount": 1,
        }
        shown = every_shown(api, contact_id, number, list_id)
        for route, contact in shown.items():
            assert {name: contact[name] for name in expected} == expected, route
        first = shown["GET /v1/contacts/{id}"]
        for route, contact in shown.items():
            assert {k: v for k, v in contact.items() if k != "updatedAt"} == {
                k: v for k, v in first.items() if k != "updatedAt"
            }, route


class TestActivity:
    def test_an_inbound_message_sets_both_times_and_no_bot_count(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        message = {"direction": "inbound", "body": "hi", "timestamp": "2026-11-26T10:00:00Z"}
        assert api.post(f"/v1/contacts/messages/{contact_id}", json=message).status_code == 201

        contact = api.get(f"/v1/contacts/{contact_id}").json()["data"]

        assert contact["lastIncomingMessageAt"] == "2026-11-26T10:00:00.000Z"
        assert contact["lastActivityAt"] == "2026-11-26T10:00:00.000Z"
        assert contact["hasHadActivity"] is True
        assert contact["botMessageCount"] == 0

    def test_outbound_bot_messages_count_and_move_only_the_activity_time(
        self, api: TestClient
    ) -> None:
        contact_id = create_contact(api)
        path = f"/v1/contacts/messages/{contact_id}"
        inbound = {"direction": "inbound", "body": "hi", "timestamp": "2026-11-26T10:00:00Z"}
        assert api.post(path, json=inbound).status_code == 201
        for minute, sender in ((1, None), (2, "bot"), (3, "agent")):  # outbound defaults to bot
            message = {
                "direction": "outbound",
                "body": "x",
                "timestamp": f"2026-11-26T10:0{minute}:00Z",
            }
            if sender:
                message["sender"] = sender
            assert api.post(path, json=message).status_code == 201

        contact = api.get(f"/v1/contacts/{contact_id}").json()["data"]

        assert contact["lastIncomingMessageAt"] == "2026-11-26T10:00:00.000Z"
        assert contact["lastActivityAt"] == "2026-11-26T10:03:00.000Z"
        assert contact["botMessageCount"] == 2

    def test_an_older_message_recorded_later_moves_no_time_back(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        path = f"/v1/contacts/messages/{contact_id}"
        newer = {"direction": "inbound", "body": "new", "timestamp": "2026-11-26T12:00:00Z"}
        older = {"direction": "inbound", "body": "old", "timestamp": "2026-11-20T12:00:00Z"}
        assert api.post(path, json=newer).status_code == 201
        assert api.post(path, json=older).status_code == 201

        contact = api.get(f"/v1/contacts/{contact_id}").json()["data"]

        assert contact["lastIncomingMessageAt"] == "2026-11-26T12:00:00.000Z"
        assert contact["lastActivityAt"] == "2026-11-26T12:00:00.000Z"

    def test_a_repeated_message_sid_counts_once(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        message = {"direction": "outbound", "body": "x", "messageSid": "SM-activity-1"}
        path = f"/v1/contacts/messages/{contact_id}"
        assert api.post(path, json=message).status_code == 201
        assert api.post(path, json=message).status_code == 200

        assert api.get(f"/v1/contacts/{contact_id}").json()["data"]["botMessageCount"] == 1


class TestDoNotDisturbReason:
    def test_is_written_changed_and_cleared_with_null(self, api: TestClient) -> None:
        contact_id = create_contact(api, doNotDisturbReason="on holiday")
        assert api.get(f"/v1/contacts/{contact_id}").json()["data"]["doNotDisturbReason"] == (
            "on holiday"
        )

        changed = api.patch(f"/v1/contacts/{contact_id}", json={"doNotDisturbReason": "asked"})
        assert changed.json()["contact"]["doNotDisturbReason"] == "asked"

        cleared = api.put(f"/v1/contacts/{contact_id}", json={"doNotDisturbReason": None})
        assert cleared.status_code == 200
        assert cleared.json()["contact"]["doNotDisturbReason"] is None

    def test_longer_than_255_characters_is_400(self, api: TestClient) -> None:
        response = api.post(
            "/v1/contacts", json={"phoneNumber": phone(), "doNotDisturbReason": "x" * 256}
        )

        assert_invalid(response, "doNotDisturbReason")


class TestReadOnly:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("lastIncomingMessageAt", "2026-11-26T10:00:00Z"),
            ("lastActivityAt", None),
            ("hasHadActivity", True),
            ("botMessageCount", 3),
        ],
    )
    def test_a_derived_field_in_a_body_is_400_naming_it(
        self, api: TestClient, field: str, value: Any
    ) -> None:
        contact_id = create_contact(api)

        assert_invalid(api.post("/v1/contacts", json={"phoneNumber": phone(), field: value}), field)
        assert_invalid(api.put(f"/v1/contacts/{contact_id}", json={field: value}), field)
        assert_invalid(
            api.post("/v1/contacts/upsert", json={"phoneNumber": phone(), field: value}), field
        )

    def test_the_camel_case_flags_are_still_accepted_as_aliases(self, api: TestClient) -> None:
        contact_id = create_contact(api, isBotActive=False, doNotDisturb=True)

        contact = api.get(f"/v1/contacts/{contact_id}").json()["data"]

        assert contact["is_bot_active"] is contact["isBotActive"] is False
        assert contact["do_not_disturb"] is contact["doNotDisturb"] is True
