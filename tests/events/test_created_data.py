"""contact.created's data is built from the values inserted, not read back: it must still be the
contact exactly as GET shows it, whatever the create sent (every field, tags spelled as an
existing tag is, lists, an upsert that creates)."""

from typing import Any

from fastapi.testclient import TestClient

from tests.events.test_types import events
from tests.factories import Account, create_contact, create_list, get_contact, phone

EVERY_FIELD: dict[str, Any] = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "Ada.Lovelace@Example.com",
    "instagramId": "ada_ig",
    "externalId": "crm-1",
    "currentCampaign": "spring",
    "currentCampaignData": {"step": 2, "nested": {"a": [1, 2.5, None, "x"]}},
    "channel": "whatsapp",
    "customChannel": "shop",
    "chatWidgetId": "widget-1",
    "isChatWindowOpen": True,
    "isBotActive": False,
    "doNotDisturb": True,
    "doNotDisturbReason": "user_request",
    "customFields": {"plan": "gold", "seats": 3, "gone": None},
}


def _created(api: TestClient, contact_id: str) -> dict[str, Any]:
    found = [
        e for e in events(api) if e["type"] == "contact.created" and e["data"]["id"] == contact_id
    ]
    assert len(found) == 1
    data: dict[str, Any] = found[0]["data"]
    return data


def test_a_create_with_every_field_records_the_contact_as_get_shows_it(
    api: TestClient, account: Account
) -> None:
    contact_id = create_contact(api, **EVERY_FIELD)
    shown = get_contact(api, contact_id)
    assert shown["customFields"] == {"plan": "gold", "seats": 3}
    assert _created(api, contact_id) == shown


def test_a_create_with_tags_and_lists_records_the_stored_spelling_of_its_tags(
    api: TestClient, account: Account
) -> None:
    create_contact(api, tags=["Vip Customer"])
    lists = [create_list(api), create_list(api)]
    contact_id = create_contact(api, tags=["vip customer", "New"], listIds=lists)
    shown = get_contact(api, contact_id)
    assert sorted(shown["tags"]) == ["New", "Vip Customer"] and sorted(shown["listIds"]) == sorted(
        lists
    )
    assert _created(api, contact_id) == shown


def test_an_upsert_that_creates_records_the_contact_as_get_shows_it(
    api: TestClient, account: Account
) -> None:
    response = api.post(
        "/v1/contacts/upsert", json={"phoneNumber": phone(), **EVERY_FIELD, "tags": ["A"]}
    )
    assert response.status_code == 200, response.text
    contact_id = response.json()["data"]["contactId"]
    assert response.json()["data"]["created"] is True
    assert _created(api, contact_id) == get_contact(api, contact_id)
