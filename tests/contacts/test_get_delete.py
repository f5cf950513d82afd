"""GET and DELETE /v1/contacts/{contactId}: read one contact, erase it with everything it owns."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from contacthub.models import Contact, ContactTag, ListMembership, Message
from tests.factories import (
    CONTACT_NOT_FOUND,
    Account,
    create_contact,
    create_list,
    get_contact,
    phone,
    record_message,
)

CONTACT_KEYS = {
    "id",
    "phoneNumber",
    "firstName",
    "lastName",
    "email",
    "instagramId",
    "currentCampaign",
    "currentCampaignData",
    "channel",
    "isChatWindowOpen",
    "externalId",
    "customChannel",
    "chatWidgetId",
    "is_bot_active",
    "do_not_disturb",
    "customFields",
    "tags",
    "listIds",
    "createdAt",
    "updatedAt",
    # What clients of the original read beyond the seed (API.md §2).
    "isBotActive",
    "doNotDisturb",
    "doNotDisturbReason",
    "lastIncomingMessageAt",
    "lastActivityAt",
    "hasHadActivity",
    "botMessageCount",
}


def rows_of(engine: Engine, account_id: str, contact_id: str) -> dict[str, int]:
    """How many rows each table holds for this contact."""
    counts = {
        "contacts": select(func.count()).where(
            Contact.account_id == account_id, Contact.id == contact_id
        ),
        "messages": select(func.count()).where(
            Message.account_id == account_id, Message.contact_id == contact_id
        ),
        "contact_tags": select(func.count()).where(
            ContactTag.account_id == account_id, ContactTag.contact_id == contact_id
        ),
        "list_memberships": select(func.count()).where(
            ListMembership.account_id == account_id, ListMembership.contact_id == contact_id
        ),
    }
    with engine.connect() as conn:
        return {table: conn.scalar(query) or 0 for table, query in counts.items()}


def busy_contact(api: TestClient) -> tuple[str, str]:
    """A contact with tags, a list and messages; (contact id, list id)."""
    list_id = create_list(api)
    contact_id = create_contact(api, listId=list_id, tags=["vip", "lead"])
    record_message(api, contact_id)
    record_message(api, contact_id, direction="outbound", body="hello")
    return contact_id, list_id


class TestGet:
    def test_answers_the_whole_contact_in_data(self, api: TestClient) -> None:
        list_id = create_list(api)
        number = phone()
        contact_id = create_contact(
            api, phoneNumber=number, firstName="Ann", listId=list_id, tags=["vip"]
        )

        response = api.get(f"/v1/contacts/{contact_id}")

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"success", "data"}
        assert body["success"] is True
        contact = body["data"]
        assert set(contact) == CONTACT_KEYS
        assert contact["id"] == contact_id
        assert contact["phoneNumber"] == number
        assert contact["firstName"] == "Ann"
        assert contact["tags"] == ["vip"]
        assert contact["listIds"] == [list_id]
        assert contact["createdAt"].endswith("Z") and contact["updatedAt"].endswith("Z")

    def test_is_the_same_contact_the_lookup_finds(self, api: TestClient) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=number, email="ann@example.com")

        found = api.get("/v1/contacts", params={"phoneNumber": number}).json()

        assert api.get(f"/v1/contacts/{contact_id}").json()["data"] == found["contact"]

    def test_an_unknown_or_malformed_id_is_404(self, api: TestClient) -> None:
        create_contact(api)

        for contact_id in ("ct_01JD0000000000000000000000", "nope", "ct_", "%20"):
            response = api.get(f"/v1/contacts/{contact_id}")
            assert response.status_code == 404, contact_id
            assert response.json() == CONTACT_NOT_FOUND

    def test_no_key_is_401(self, api: TestClient, anonymous: TestClient) -> None:
        contact_id = create_contact(api)

        response = anonymous.get(f"/v1/contacts/{contact_id}")

        assert response.status_code == 401
        assert "data" not in response.json()


class TestDelete:
    def test_answers_success_with_a_message(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        response = api.delete(f"/v1/contacts/{contact_id}")

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"success", "message"}
        assert body["success"] is True
        assert isinstance(body["message"], str) and body["message"]

    def test_the_contact_is_gone_afterwards(self, api: TestClient) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=number)

        api.delete(f"/v1/contacts/{contact_id}")

        assert api.get(f"/v1/contacts/{contact_id}").json() == CONTACT_NOT_FOUND
        assert api.get(f"/v1/contacts/{contact_id}").status_code == 404
        assert api.get("/v1/contacts", params={"phoneNumber": number}).status_code == 404
        assert api.get(f"/v1/contacts/tags/{contact_id}").status_code == 404
        assert api.get(f"/v1/contacts/messages/{contact_id}").status_code == 404

    def test_erases_every_row_of_the_contact(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        contact_id, _ = busy_contact(api)
        assert rows_of(engine, account.id, contact_id) == {
            "contacts": 1,
            "messages": 2,
            "contact_tags": 2,
            "list_memberships": 1,
        }

        api.delete(f"/v1/contacts/{contact_id}")

        assert rows_of(engine, account.id, contact_id) == {
            "contacts": 0,
            "messages": 0,
            "contact_tags": 0,
            "list_memberships": 0,
        }

    def test_leaves_the_lists_tags_and_other_contacts_alone(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        contact_id, list_id = busy_contact(api)
        neighbour = create_contact(api, listId=list_id, tags=["vip"])
        record_message(api, neighbour)
        neighbour_before = get_contact(api, neighbour)

        api.delete(f"/v1/contacts/{contact_id}")

        assert get_contact(api, neighbour) == neighbour_before
        assert rows_of(engine, account.id, neighbour) == {
            "contacts": 1,
            "messages": 1,
            "contact_tags": 1,
            "list_memberships": 1,
        }
        assert api.get(f"/v1/lists/{list_id}").json()["data"]["contactCount"] == 1
        assert {tag["name"] for tag in api.get("/v1/tags").json()} == {"vip", "lead"}

    def test_the_phone_number_is_free_again(self, api: TestClient) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=number, externalId="crm-del")
        api.delete(f"/v1/contacts/{contact_id}")

        response = api.post("/v1/contacts", json={"phoneNumber": number, "externalId": "crm-del"})

        assert response.status_code == 200, response.text
        assert response.json()["data"]["contactId"] != contact_id

    def test_deleting_twice_is_404_the_second_time(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        assert api.delete(f"/v1/contacts/{contact_id}").status_code == 200

        response = api.delete(f"/v1/contacts/{contact_id}")

        assert response.status_code == 404
        assert response.json() == CONTACT_NOT_FOUND

    def test_an_unknown_or_malformed_id_is_404_and_deletes_nothing(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        contact_id, _ = busy_contact(api)
        before = get_contact(api, contact_id)

        for unknown in ("ct_01JD0000000000000000000000", "nope"):
            response = api.delete(f"/v1/contacts/{unknown}")
            assert response.status_code == 404, unknown
            assert response.json() == CONTACT_NOT_FOUND

        assert get_contact(api, contact_id) == before
        assert rows_of(engine, account.id, contact_id)["messages"] == 2
