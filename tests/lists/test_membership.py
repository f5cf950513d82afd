"""POST and DELETE /v1/contacts/lists: one contact on or off one list, the compatible way."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import UNKNOWN_CONTACT, create_contact, create_list, get_contact

DENIED = {"success": False, "error": "permission_denied", "message": "Permission denied"}
UNKNOWN_LIST = "ls_01JD0000000000000000000000"


def add(api: TestClient, body: Any) -> Any:
    return api.post("/v1/contacts/lists", json=body)


def remove_by_body(api: TestClient, body: Any) -> Any:
    return api.request("DELETE", "/v1/contacts/lists", json=body)


def remove_by_query(api: TestClient, params: dict[str, str]) -> Any:
    return api.delete("/v1/contacts/lists", params=params)


def contact_count(api: TestClient, list_id: str) -> int:
    response = api.get(f"/v1/lists/{list_id}")
    assert response.status_code == 200, response.text
    count: int = response.json()["data"]["contactCount"]
    return count


REMOVALS = pytest.mark.parametrize(
    "remove", [remove_by_body, remove_by_query], ids=["body", "query"]
)


class TestAdd:
    def test_adds_and_names_the_list(self, api: TestClient) -> None:
        list_id = create_list(api, name="Spring Leads")
        contact_id = create_contact(api)

        response = add(api, {"contactId": contact_id, "listId": list_id})

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": "Contact successfully added to list Spring Leads",
        }
        assert get_contact(api, contact_id)["listIds"] == [list_id]
        assert contact_count(api, list_id) == 1

    def test_adding_again_is_a_success_and_changes_nothing(self, api: TestClient) -> None:
        list_id = create_list(api, name="Repeat")
        contact_id = create_contact(api)
        add(api, {"contactId": contact_id, "listId": list_id})

        response = add(api, {"contactId": contact_id, "listId": list_id})

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": "Contact successfully added to list Repeat",
        }
        assert get_contact(api, contact_id)["listIds"] == [list_id]
        assert contact_count(api, list_id) == 1

    def test_a_contact_can_be_on_several_lists(self, api: TestClient) -> None:
        one, two = create_list(api), create_list(api)
        contact_id = create_contact(api, listId=one)

        add(api, {"contactId": contact_id, "listId": two})

        assert sorted(get_contact(api, contact_id)["listIds"]) == sorted([one, two])

    def test_the_message_shows_the_lists_current_name(self, api: TestClient) -> None:
        list_id = create_list(api, name="Old name")
        api.patch(f"/v1/lists/{list_id}", json={"name": "New name"})

        response = add(api, {"contactId": create_contact(api), "listId": list_id})

        assert response.json()["message"] == "Contact successfully added to list New name"


class TestRemove:
    @REMOVALS
    def test_removes_and_names_the_list(self, api: TestClient, remove: Any) -> None:
        list_id = create_list(api, name="VIP Customers")
        other_list = create_list(api)
        contact_id = create_contact(api, listIds=[list_id, other_list])

        response = remove(api, {"contactId": contact_id, "listId": list_id})

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": "Contact successfully removed from list VIP Customers",
        }
        assert get_contact(api, contact_id)["listIds"] == [other_list]
        assert contact_count(api, list_id) == 0
        assert contact_count(api, other_list) == 1

    @REMOVALS
    def test_removing_a_non_member_is_a_success(self, api: TestClient, remove: Any) -> None:
        list_id = create_list(api, name="Empty")
        member = create_contact(api, listId=list_id)
        contact_id = create_contact(api)

        response = remove(api, {"contactId": contact_id, "listId": list_id})

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": "Contact successfully removed from list Empty",
        }
        assert get_contact(api, member)["listIds"] == [list_id]
        assert contact_count(api, list_id) == 1

    def test_the_contact_itself_is_kept(self, api: TestClient) -> None:
        list_id = create_list(api)
        contact_id = create_contact(api, listId=list_id, firstName="Kept")

        remove_by_query(api, {"contactId": contact_id, "listId": list_id})

        assert get_contact(api, contact_id)["firstName"] == "Kept"


class TestMissingParameters:
    @pytest.mark.parametrize(
        ("body", "missing"),
        [
            ({}, ["contactId", "listId"]),
            ({"listId": "ls_x"}, ["contactId"]),
            ({"contactId": "ct_x"}, ["listId"]),
            ({"contactId": "", "listId": ""}, ["contactId", "listId"]),
            ({"contactId": None, "listId": "ls_x"}, ["contactId"]),
        ],
    )
    def test_add_names_what_is_missing(
        self, api: TestClient, body: dict[str, Any], missing: list[str]
    ) -> None:
        response = add(api, body)

        assert response.status_code == 400
        result = response.json()
        assert result["success"] is False
        assert result["message"] == f"Missing required parameters: {', '.join(missing)}"
        assert [detail["field"] for detail in result["details"]] == missing

    @pytest.mark.parametrize(
        ("params", "missing"),
        [
            ({}, ["contactId", "listId"]),
            ({"listId": "ls_x"}, ["contactId"]),
            ({"contactId": "ct_x"}, ["listId"]),
        ],
    )
    @REMOVALS
    def test_remove_names_what_is_missing(
        self, api: TestClient, remove: Any, params: dict[str, str], missing: list[str]
    ) -> None:
        response = remove(api, params)

        assert response.status_code == 400
        assert response.json()["message"] == f"Missing required parameters: {', '.join(missing)}"

    def test_remove_with_neither_body_nor_query_names_both(self, api: TestClient) -> None:
        response = api.delete("/v1/contacts/lists")

        assert response.status_code == 400
        assert response.json()["message"] == "Missing required parameters: contactId, listId"

    def test_add_without_a_body_names_both(self, api: TestClient) -> None:
        response = api.post("/v1/contacts/lists")

        assert response.status_code == 400
        assert response.json()["message"] == "Missing required parameters: contactId, listId"

    def test_an_unknown_field_is_400_naming_it(self, api: TestClient) -> None:
        list_id = create_list(api)
        contact_id = create_contact(api)

        response = add(api, {"contactId": contact_id, "listId": list_id, "listID": list_id})

        assert response.status_code == 400
        assert response.json()["details"][0]["field"] == "listID"
        assert get_contact(api, contact_id)["listIds"] == []


class TestPermission:
    def test_unknown_ids_are_403_and_change_nothing(self, api: TestClient) -> None:
        list_id = create_list(api)
        contact_id = create_contact(api)

        for body in (
            {"contactId": UNKNOWN_CONTACT, "listId": list_id},
            {"contactId": contact_id, "listId": UNKNOWN_LIST},
            {"contactId": "nope", "listId": list_id},
            {"contactId": contact_id, "listId": "nope"},
            {"contactId": UNKNOWN_CONTACT, "listId": UNKNOWN_LIST},
        ):
            for response in (
                add(api, body),
                remove_by_body(api, body),
                remove_by_query(api, body),
            ):
                assert response.status_code == 403, body
                assert response.json() == DENIED

        assert get_contact(api, contact_id)["listIds"] == []
        assert contact_count(api, list_id) == 0

    def test_another_accounts_list_is_403_and_their_list_is_unchanged(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        theirs = create_list(other_api, name="Theirs")
        their_member = create_contact(other_api, listId=theirs)
        mine = create_contact(api)

        responses = [
            add(api, {"contactId": mine, "listId": theirs}),
            add(api, {"contactId": their_member, "listId": theirs}),
            remove_by_body(api, {"contactId": their_member, "listId": theirs}),
            remove_by_query(api, {"contactId": their_member, "listId": theirs}),
        ]

        for response in responses:
            assert response.status_code == 403
            assert response.json() == DENIED
        assert get_contact(api, mine)["listIds"] == []
        assert contact_count(other_api, theirs) == 1
        assert get_contact(other_api, their_member)["listIds"] == [theirs]

    def test_another_accounts_contact_is_403_and_their_contact_is_unchanged(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        mine = create_list(api, name="Mine")
        their_list = create_list(other_api)
        theirs = create_contact(other_api, listId=their_list)
        before = get_contact(other_api, theirs)

        for response in (
            add(api, {"contactId": theirs, "listId": mine}),
            remove_by_body(api, {"contactId": theirs, "listId": mine}),
            remove_by_query(api, {"contactId": theirs, "listId": mine}),
        ):
            assert response.status_code == 403
            assert response.json() == DENIED

        assert contact_count(api, mine) == 0
        assert get_contact(other_api, theirs) == before

    def test_an_unknown_id_answers_exactly_like_another_accounts(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        list_id = create_list(api)
        theirs = create_contact(other_api)

        assert (
            add(api, {"contactId": theirs, "listId": list_id}).json()
            == add(api, {"contactId": UNKNOWN_CONTACT, "listId": list_id}).json()
        )

    def test_no_key_is_401_and_changes_nothing(
        self, api: TestClient, anonymous: TestClient
    ) -> None:
        list_id = create_list(api)
        contact_id = create_contact(api)

        response = add(anonymous, {"contactId": contact_id, "listId": list_id})

        assert response.status_code == 401
        assert get_contact(api, contact_id)["listIds"] == []
