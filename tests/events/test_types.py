"""Each event type of API.md §7 with its data, written in the change's own transaction."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.core import db
from contacthub.events import outbox
from tests.factories import (
    Account,
    create_contact,
    create_list,
    get_contact,
    phone,
    record_message,
)


def events(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every event of the account, walked to the end."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        response = api.get("/v1/events", params={**params, "after": after, "limit": 1000})
        assert response.status_code == 200, response.text
        body = response.json()
        found += body["data"]
        after = body["nextCursor"]
        if body["done"]:
            return found


def test_create_records_the_contact_then_its_lists_and_tags(
    api: TestClient, account: Account
) -> None:
    list_id = create_list(api)
    contact_id = create_contact(api, firstName="Ada", listIds=[list_id], tags=["VIP"])
    shown = get_contact(api, contact_id)
    found = [e for e in events(api) if e["type"] != "list.created"]
    assert [e["type"] for e in found] == [
        "contact.created",
        "list.member_added",
        "tag.updated",  # VIP is made by naming it
        "contact.tagged",
    ]
    created = found[0]
    assert created["data"] == shown
    assert created["id"].startswith("evt_") and created["createdAt"].endswith("Z")
    assert "changedFields" not in created and "previous" not in created
    assert created["actor"]["keyId"].startswith("key_")
    assert found[1]["data"] == {"listId": list_id, "contactId": contact_id}
    assert found[2]["data"] == {"name": "VIP", "description": None}
    assert found[3]["data"] == {"contactId": contact_id, "tag": "VIP"}


def test_update_records_changed_fields_and_previous_values(api: TestClient) -> None:
    contact_id = create_contact(api, firstName="Unknown")
    api.patch(f"/v1/contacts/{contact_id}", json={"firstName": "Ada", "email": "a@example.com"})
    api.patch(f"/v1/contacts/{contact_id}", json={"firstName": "Ada"})  # changes nothing
    updated = [e for e in events(api) if e["type"] == "contact.updated"]
    assert len(updated) == 1
    assert updated[0]["changedFields"] == ["firstName", "email"]
    assert updated[0]["previous"] == {"firstName": "Unknown", "email": None}
    assert updated[0]["data"] == get_contact(api, contact_id)


def test_a_field_of_two_spellings_is_listed_once_by_its_camel_case_name(api: TestClient) -> None:
    # The contact shows is_bot_active beside isBotActive (the seed's and the production API's
    # spellings of one field): a change lists it once, as isBotActive, like every other field.
    contact_id = create_contact(api)
    api.patch(f"/v1/contacts/{contact_id}", json={"is_bot_active": False})
    api.patch(f"/v1/contacts/{contact_id}", json={"doNotDisturb": True, "firstName": "Ada"})
    updated = [e for e in events(api) if e["type"] == "contact.updated"]
    assert [(e["changedFields"], e["previous"]) for e in updated] == [
        (["isBotActive"], {"isBotActive": True}),
        (["firstName", "doNotDisturb"], {"firstName": "Unknown", "doNotDisturb": False}),
    ]
    assert updated[0]["data"]["is_bot_active"] is updated[0]["data"]["isBotActive"] is False


def test_tags_lists_and_messages(api: TestClient) -> None:
    contact_id = create_contact(api)
    list_id = create_list(api, name="Leads")
    api.patch(f"/v1/lists/{list_id}", json={"description": "warm"})
    api.post(f"/v1/lists/{list_id}/contacts", json={"contactIds": [contact_id]})
    api.post(f"/v1/lists/{list_id}/contacts", json={"contactIds": [contact_id]})  # no change
    api.request("DELETE", f"/v1/lists/{list_id}/contacts", json={"contactIds": [contact_id]})
    api.post(f"/v1/contacts/{contact_id}/tags", json={"tags": ["Gold"]})
    api.delete(f"/v1/contacts/{contact_id}/tags/gold")
    api.put("/v1/tags/Gold", json={"description": "best"})
    api.delete("/v1/tags/Gold")
    message = record_message(api, contact_id)
    api.delete(f"/v1/lists/{list_id}")
    found = [(e["type"], e["data"]) for e in events(api) if e["type"] != "contact.created"]
    listed = found[0][1]
    assert found[0][0] == "list.created" and listed["name"] == "Leads"
    assert found[1][0] == "list.updated" and found[1][1]["description"] == "warm"
    member = {"listId": list_id, "contactId": contact_id}
    assert found[2:] == [
        ("list.member_added", member),
        ("list.member_removed", member),
        ("tag.updated", {"name": "Gold", "description": None}),  # made by naming it
        ("contact.tagged", {"contactId": contact_id, "tag": "Gold"}),
        ("contact.untagged", {"contactId": contact_id, "tag": "Gold"}),
        ("tag.updated", {"name": "Gold", "description": "best"}),
        ("tag.deleted", {"name": "Gold", "description": "best"}),
        ("message.created", message),
        ("list.deleted", {**found[-1][1], "id": list_id, "name": "Leads"}),
    ]


def test_a_write_that_fails_leaves_no_event(api: TestClient, engine: Engine) -> None:
    taken = create_contact(api, externalId="taken-1")
    other = create_contact(api)
    before = events(api)
    assert api.patch(f"/v1/contacts/{other}", json={"externalId": "taken-1"}).status_code == 409
    assert (
        api.post("/v1/contacts", json={"phoneNumber": phone(), "externalId": "taken-1"}).status_code
        == 409
    )
    assert events(api) == before
    assert taken != other


def test_a_transaction_that_raises_writes_none_of_its_events(
    api: TestClient, engine: Engine, account: Account
) -> None:
    try:
        with db.write(engine) as conn:
            outbox.record(conn, account.id, "contact.deleted", {"id": "ct_x"})
            raise RuntimeError
    except RuntimeError:
        pass
    with db.write(engine) as conn:  # the connection, back in the pool, carries nothing over
        outbox.record(conn, account.id, "contact.deleted", {"id": "ct_y"})
    assert [e["data"] for e in events(api)] == [{"id": "ct_y"}]
    assert "actor" not in events(api)[0]  # not made by an API key


def test_erasure_leaves_only_ids(api: TestClient) -> None:
    list_id = create_list(api)
    contact_id = create_contact(api, firstName="Ada", tags=["VIP"], listIds=[list_id])
    api.patch(f"/v1/contacts/{contact_id}", json={"firstName": "Grace"})
    message = record_message(api, contact_id, body="secret")
    assert api.delete(f"/v1/contacts/{contact_id}").status_code == 200
    about = [e for e in events(api) if e["type"] != "list.created"]
    assert [(e["type"], e["data"]) for e in about] == [
        ("contact.created", {"id": contact_id}),
        ("list.member_added", {"listId": list_id, "contactId": contact_id}),
        ("tag.updated", {"name": "VIP", "description": None}),  # the tag's, not the contact's
        ("contact.tagged", {"contactId": contact_id, "tag": "VIP"}),
        ("contact.updated", {"id": contact_id}),
        ("message.created", {"id": message["id"], "contactId": contact_id}),
        ("contact.deleted", {"id": contact_id}),
    ]
    assert all("previous" not in e and "changedFields" not in e for e in about)


def test_tags_made_or_described_by_naming_them_record_tag_updated(api: TestClient) -> None:
    # As PUT /v1/tags/{name} does: a tag created, or its description changed, is a tag.updated,
    # whichever route names it (a contact's tags, POST /v1/tags, a new contact's tags).
    contact_id = create_contact(api)
    before = len(events(api))

    def since() -> list[tuple[str, Any]]:
        nonlocal before
        found = events(api)[before:]
        before += len(found)
        return [(e["type"], e["data"]) for e in found]

    tagged = {"contactId": contact_id}
    first = {"tags": [{"name": "Lead", "description": "first"}, "beta"]}
    assert api.post(f"/v1/contacts/{contact_id}/tags", json=first).status_code == 200
    assert since() == [
        ("tag.updated", {"name": "beta", "description": None}),
        ("tag.updated", {"name": "Lead", "description": "first"}),
        ("contact.tagged", {**tagged, "tag": "beta"}),
        ("contact.tagged", {**tagged, "tag": "Lead"}),
    ]
    changed = {"tags": [{"name": "lead", "description": "changed"}, "Beta"]}
    assert api.post(f"/v1/contacts/{contact_id}/tags", json=changed).status_code == 200
    assert since() == [("tag.updated", {"name": "Lead", "description": "changed"})]
    assert api.post(f"/v1/contacts/{contact_id}/tags", json=changed).status_code == 200
    assert since() == []  # nothing changed
    described = api.post(
        "/v1/tags",
        params={"tag": "lead", "phoneNumber": get_contact(api, contact_id)["phoneNumber"]},
        json={"description": "third"},
    )
    assert described.status_code == 200, described.text
    assert since() == [("tag.updated", {"name": "Lead", "description": "third"})]
    other = create_contact(api, tags=["lead", "Gamma"])
    assert since() == [
        ("contact.created", get_contact(api, other)),
        ("tag.updated", {"name": "Gamma", "description": None}),
        ("contact.tagged", {"contactId": other, "tag": "Gamma"}),
        ("contact.tagged", {"contactId": other, "tag": "Lead"}),
    ]
    assert api.get("/v1/tags").json() == [
        {"name": "beta", "description": None},
        {"name": "Gamma", "description": None},
        {"name": "Lead", "description": "third"},
    ]
