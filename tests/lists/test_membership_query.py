"""DELETE /v1/contacts/lists reads each id from the body or else the query (review L11)."""

from fastapi.testclient import TestClient

from tests.factories import create_contact, create_list, get_contact


def test_an_empty_body_takes_the_ids_from_the_query(api: TestClient) -> None:
    contact_id, list_id = create_contact(api), create_list(api, "Q")
    api.post("/v1/contacts/lists", json={"contactId": contact_id, "listId": list_id})

    response = api.request(
        "DELETE",
        "/v1/contacts/lists",
        params={"contactId": contact_id, "listId": list_id},
        json={},
    )

    assert response.status_code == 200, response.text
    assert get_contact(api, contact_id)["listIds"] == []


def test_the_body_and_the_query_are_merged_field_by_field(api: TestClient) -> None:
    contact_id, list_id = create_contact(api), create_list(api, "Q")
    api.post("/v1/contacts/lists", json={"contactId": contact_id, "listId": list_id})

    response = api.request(
        "DELETE", "/v1/contacts/lists", params={"listId": list_id}, json={"contactId": contact_id}
    )

    assert response.status_code == 200, response.text
    assert get_contact(api, contact_id)["listIds"] == []
