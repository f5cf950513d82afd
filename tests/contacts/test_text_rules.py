"""How contact text compares (review L3, L4, L5, M5, L11), on both databases.

- Names and emails are NFC-normalised; search folds ``q`` and the stored names the same way.
- An email's local part is compared with ``str.lower()``, never folded into another mailbox.
- ``customFields`` stays within 64 KiB after a merge.
- A write that changes nothing leaves ``updatedAt`` alone.
"""

import time

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_invalid, create_contact, get_contact, phone


def search(api: TestClient, q: str) -> list[str]:
    response = api.get("/v1/contacts/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [contact["id"] for contact in response.json()["data"]]


class TestSearchFolding:
    @pytest.mark.parametrize("q", ["Straße", "straße", "STRASSE", "strasse", "Stra"])
    def test_a_name_that_folding_changes_is_found(self, api: TestClient, q: str) -> None:
        contact_id = create_contact(api, firstName="Straße", lastName="Ölmann")

        assert search(api, q) == [contact_id]

    @pytest.mark.parametrize("q", ["ölmann", "ÖLMANN", "Straße Öl", "ﬁo"])
    def test_last_names_full_names_and_ligatures_are_found(self, api: TestClient, q: str) -> None:
        first = "Fiona" if q == "ﬁo" else "Straße"
        contact_id = create_contact(api, firstName=first, lastName="Ölmann")

        assert search(api, q) == [contact_id]

    def test_a_decomposed_query_finds_a_composed_name(self, api: TestClient) -> None:
        contact_id = create_contact(api, firstName="Zoë", lastName="Café")

        assert search(api, "Zoe\u0308") == [contact_id]
        assert search(api, "cafe\u0301") == [contact_id]

    def test_a_name_stored_decomposed_is_shown_composed(self, api: TestClient) -> None:
        contact_id = create_contact(api, firstName="Zoe\u0308", lastName="Cafe\u0301")

        shown = get_contact(api, contact_id)
        assert (shown["firstName"], shown["lastName"]) == ("Zoë", "Café")

    def test_an_updated_name_is_found_by_its_new_spelling(self, api: TestClient) -> None:
        contact_id = create_contact(api, firstName="Anna", lastName="Weiß")
        api.patch(f"/v1/contacts/{contact_id}", json={"firstName": "Jürgen"})

        assert search(api, "jürgen weiss") == [contact_id]
        assert search(api, "anna") == []


class TestEmailKeys:
    def test_a_local_part_is_not_folded_into_another_mailbox(self, api: TestClient) -> None:
        first = create_contact(api, email="Straße@example.com")
        second = create_contact(api, email="strasse@example.com")

        found = api.get("/v1/contacts", params={"email": "STRASSE@example.com"})
        assert found.json()["contactId"] == second
        found = api.get("/v1/contacts", params={"email": "straße@EXAMPLE.com"})
        assert found.json()["contactId"] == first

    def test_upsert_by_email_does_not_reach_a_folded_lookalike(self, api: TestClient) -> None:
        first = create_contact(api, email="Straße@example.com", firstName="Ada")

        response = api.post(
            "/v1/contacts/upsert", json={"email": "STRASSE@example.com", "firstName": "Other"}
        )

        assert response.json()["data"]["created"] is True
        assert get_contact(api, first)["firstName"] == "Ada"

    def test_case_still_does_not_matter(self, api: TestClient) -> None:
        contact_id = create_contact(api, email="Jürgen.Weiß@Example.COM")

        found = api.get("/v1/contacts", params={"email": "JÜRGEN.WEIß@example.com"})
        assert found.json()["contactId"] == contact_id
        upserted = api.post("/v1/contacts/upsert", json={"email": "jürgen.weiß@example.com"})
        assert upserted.json()["data"] == {
            "contactId": contact_id,
            "created": False,
            "matchedBy": "email",
        }

    def test_a_decomposed_address_finds_the_composed_one(self, api: TestClient) -> None:
        contact_id = create_contact(api, email="zoë@example.com")

        found = api.get("/v1/contacts", params={"email": "zoe\u0308@example.com"})
        assert found.json()["contactId"] == contact_id


class TestCustomFieldsMerge:
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_a_merge_past_64_kib_is_400_naming_customfields(
        self, api: TestClient, method: str
    ) -> None:
        contact_id = create_contact(api, customFields={"a": "x" * 40_000})

        response = api.request(
            method.upper(), f"/v1/contacts/{contact_id}", json={"customFields": {"b": "y" * 40_000}}
        )

        assert_invalid(response, "customFields")
        assert set(get_contact(api, contact_id)["customFields"]) == {"a"}

    def test_upserts_update_path_is_held_to_it_too(self, api: TestClient) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=number, customFields={"a": "x" * 40_000})

        response = api.post(
            "/v1/contacts/upsert",
            json={"phoneNumber": number, "customFields": {"b": "y" * 40_000}},
        )

        assert_invalid(response, "customFields")
        assert set(get_contact(api, contact_id)["customFields"]) == {"a"}

    def test_a_merge_that_removes_keys_to_fit_is_accepted(self, api: TestClient) -> None:
        contact_id = create_contact(api, customFields={"a": "x" * 40_000})

        response = api.put(
            f"/v1/contacts/{contact_id}", json={"customFields": {"a": None, "b": "y" * 40_000}}
        )

        assert response.status_code == 200, response.text
        assert set(get_contact(api, contact_id)["customFields"]) == {"b"}


class TestNoOpWrites:
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_an_update_that_changes_nothing_keeps_updated_at(
        self, api: TestClient, method: str
    ) -> None:
        contact_id = create_contact(
            api, firstName="Ada", email="ada@example.com", customFields={"k": 1}
        )
        before = get_contact(api, contact_id)["updatedAt"]
        time.sleep(0.01)

        response = api.request(
            method.upper(),
            f"/v1/contacts/{contact_id}",
            json={"firstName": "Ada", "email": "ada@example.com", "customFields": {"k": 1}},
        )

        assert response.status_code == 200, response.text
        assert response.json()["contact"]["updatedAt"] == before
        assert get_contact(api, contact_id)["updatedAt"] == before

    def test_an_update_that_changes_something_moves_updated_at(self, api: TestClient) -> None:
        contact_id = create_contact(api, firstName="Ada")
        before = get_contact(api, contact_id)["updatedAt"]
        time.sleep(0.01)

        api.put(f"/v1/contacts/{contact_id}", json={"firstName": "Ada", "lastName": "L"})

        assert get_contact(api, contact_id)["updatedAt"] > before

    def test_an_upsert_that_changes_nothing_keeps_updated_at(self, api: TestClient) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=number, firstName="Ada", tags=["vip"])
        before = get_contact(api, contact_id)["updatedAt"]
        time.sleep(0.01)

        response = api.post(
            "/v1/contacts/upsert", json={"phoneNumber": number, "firstName": "Ada", "tags": ["VIP"]}
        )

        assert response.json()["data"]["created"] is False
        assert get_contact(api, contact_id)["updatedAt"] == before

    def test_retagging_with_a_tag_it_has_keeps_updated_at(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["vip"])
        before = get_contact(api, contact_id)["updatedAt"]
        time.sleep(0.01)

        response = api.post(f"/v1/contacts/{contact_id}/tags", json={"tags": ["VIP"]})

        assert response.status_code == 200, response.text
        assert get_contact(api, contact_id)["updatedAt"] == before
