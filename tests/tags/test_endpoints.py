"""/v1/tags: the account's tags, tagging a contact by phone or email, describing, deleting (API.md §5)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    account_tags,
    assert_error,
    contact_tags,
    create_contact,
    get_contact,
    phone,
)


def tag_contact(api: TestClient, contact_id: str, *names: str) -> None:
    response = api.post(f"/v1/contacts/{contact_id}/tags", json={"tags": list(names)})
    assert response.status_code == 200, response.text


class TestListTags:
    def test_an_account_without_tags_gets_an_empty_array(self, api: TestClient) -> None:
        response = api.get("/v1/tags")

        assert response.status_code == 200
        assert response.json() == []

    def test_is_a_bare_array_of_name_and_description_sorted_by_name(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        contact_id = create_contact(api)
        tag_contact(api, contact_id, "zeta", "alpha", "mid")
        api.put("/v1/tags/alpha", json={"description": "first"})
        tag_contact(other_api, create_contact(other_api), "theirs")

        assert account_tags(api) == [
            {"name": "alpha", "description": "first"},
            {"name": "mid", "description": None},
            {"name": "zeta", "description": None},
        ]

    def test_sorts_names_whatever_their_case(self, api: TestClient) -> None:
        tag_contact(api, create_contact(api), "beta", "Gamma", "Alpha")

        assert [tag["name"] for tag in account_tags(api)] == ["Alpha", "beta", "Gamma"]


class TestTagContact:
    def test_tags_the_contact_found_by_phone_in_the_body_and_creates_the_tag(
        self, api: TestClient
    ) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=number)

        response = api.post("/v1/tags", json={"tag": "vip", "phoneNumber": number})

        assert response.status_code == 200
        body = response.json()
        assert body["success"] is True
        assert "data" in body
        assert contact_tags(api, contact_id) == [{"name": "vip", "description": None}]
        assert account_tags(api) == [{"name": "vip", "description": None}]

    def test_takes_tag_and_phone_from_the_query_without_the_plus(self, api: TestClient) -> None:
        contact_id = create_contact(api, phoneNumber="+14155550123")

        response = api.post("/v1/tags", params={"tag": "vip", "phoneNumber": "14155550123"})

        assert response.status_code == 200, response.text
        assert get_contact(api, contact_id)["tags"] == ["vip"]

    def test_a_plus_left_unencoded_in_the_query_still_finds_the_contact(
        self, api: TestClient
    ) -> None:
        contact_id = create_contact(api, phoneNumber="+14155550124")

        # A client that writes "?phoneNumber=+1415..." by hand sends a space where the + was.
        response = api.post("/v1/tags?tag=vip&phoneNumber=+14155550124")

        assert response.status_code == 200, response.text
        assert get_contact(api, contact_id)["tags"] == ["vip"]

    @pytest.mark.parametrize("where", ["query", "body"])
    def test_finds_the_contact_by_email_in_any_case(self, api: TestClient, where: str) -> None:
        contact_id = create_contact(api, email="ada@example.com")
        given = {"tag": "lead", "email": "ADA@Example.com"}

        if where == "query":
            response = api.post("/v1/tags", params=given)
        else:
            response = api.post("/v1/tags", json=given)

        assert response.status_code == 200, response.text
        assert get_contact(api, contact_id)["tags"] == ["lead"]

    def test_an_existing_tag_in_another_case_is_reused_with_its_first_spelling(
        self, api: TestClient
    ) -> None:
        first, second = phone(), phone()
        one = create_contact(api, phoneNumber=first)
        two = create_contact(api, phoneNumber=second)
        api.post("/v1/tags", json={"tag": "VIP", "phoneNumber": first})

        response = api.post("/v1/tags", json={"tag": "vip", "phoneNumber": second})

        assert response.status_code == 200
        assert account_tags(api) == [{"name": "VIP", "description": None}]
        assert get_contact(api, one)["tags"] == ["VIP"]
        assert get_contact(api, two)["tags"] == ["VIP"]

    def test_tagging_twice_leaves_one_tag(self, api: TestClient) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=number)

        for _ in range(2):
            response = api.post("/v1/tags", json={"tag": "vip", "phoneNumber": number})
            assert response.status_code == 200

        assert get_contact(api, contact_id)["tags"] == ["vip"]
        assert len(account_tags(api)) == 1

    @pytest.mark.parametrize(
        ("given", "missing"),
        [
            ({"phoneNumber": "+14155550100"}, ["tag"]),
            ({"tag": "vip"}, ["phoneNumber", "email"]),
            ({}, ["tag", "phoneNumber", "email"]),
        ],
    )
    @pytest.mark.parametrize("where", ["query", "body"])
    def test_names_what_is_missing(
        self, api: TestClient, given: dict[str, str], missing: list[str], where: str
    ) -> None:
        create_contact(api, phoneNumber="+14155550100")

        if where == "query":
            response = api.post("/v1/tags", params=given)
        else:
            response = api.post("/v1/tags", json=given)

        body = assert_error(response, 400)
        fields = " ".join(detail["field"] for detail in body.get("details", []))
        for name in missing:
            assert name in body["message"], (name, body["message"])
            assert name in fields, (name, fields)
        assert account_tags(api) == []

    def test_no_such_contact_is_404_and_creates_no_tag(self, api: TestClient) -> None:
        create_contact(api)

        response = api.post("/v1/tags", json={"tag": "vip", "phoneNumber": phone()})

        body = assert_error(response, 404, "not_found")
        assert body["message"] == "Contact not found"
        assert account_tags(api) == []

    def test_another_accounts_contact_is_not_found(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        number = phone()
        theirs = create_contact(other_api, phoneNumber=number)

        response = api.post("/v1/tags", json={"tag": "vip", "phoneNumber": number})

        assert_error(response, 404, "not_found")
        assert get_contact(other_api, theirs)["tags"] == []
        assert account_tags(other_api) == []

    def test_an_invalid_phone_number_is_400_naming_it(self, api: TestClient) -> None:
        response = api.post("/v1/tags", json={"tag": "vip", "phoneNumber": "+1234567890"})

        body = assert_error(response, 400)
        assert body["details"][0]["field"] == "phoneNumber"
        assert account_tags(api) == []

    def test_an_unknown_body_field_is_400_naming_it(self, api: TestClient) -> None:
        number = phone()
        create_contact(api, phoneNumber=number)

        response = api.post("/v1/tags", json={"tag": "vip", "phoneNumber": number, "tgas": "x"})

        body = assert_error(response, 400)
        assert [detail["field"] for detail in body["details"]] == ["tgas"]
        assert account_tags(api) == []


class TestPutTag:
    def test_sets_the_description_of_a_tag_named_in_any_case(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        tag_contact(api, contact_id, "vip")

        response = api.put("/v1/tags/VIP", json={"description": "big spenders"})

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "data": {"name": "vip", "description": "big spenders"},
        }
        assert account_tags(api) == [{"name": "vip", "description": "big spenders"}]
        assert contact_tags(api, contact_id) == [{"name": "vip", "description": "big spenders"}]

    def test_null_clears_the_description(self, api: TestClient) -> None:
        api.put("/v1/tags/vip", json={"description": "old"})

        response = api.put("/v1/tags/vip", json={"description": None})

        assert response.status_code == 200
        assert account_tags(api) == [{"name": "vip", "description": None}]

    def test_creates_a_tag_that_does_not_exist(self, api: TestClient) -> None:
        response = api.put("/v1/tags/big%20deal", json={"description": "over $10k"})

        assert response.status_code == 200
        assert account_tags(api) == [{"name": "big deal", "description": "over $10k"}]

    def test_leaves_another_accounts_tag_alone(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        other_api.put("/v1/tags/vip", json={"description": "theirs"})

        api.put("/v1/tags/vip", json={"description": "mine"})

        assert account_tags(other_api) == [{"name": "vip", "description": "theirs"}]
        assert account_tags(api) == [{"name": "vip", "description": "mine"}]

    @pytest.mark.parametrize(
        ("body", "field"),
        [({"descripton": "typo"}, "descripton"), ({"description": 5}, "description")],
    )
    def test_an_invalid_body_is_400_and_changes_nothing(
        self, api: TestClient, body: dict[str, Any], field: str
    ) -> None:
        api.put("/v1/tags/vip", json={"description": "kept"})

        response = api.put("/v1/tags/vip", json=body)

        error = assert_error(response, 400)
        assert error["details"][0]["field"] == field
        assert account_tags(api) == [{"name": "vip", "description": "kept"}]


class TestDeleteTag:
    def test_detaches_the_tag_from_every_contact(self, api: TestClient) -> None:
        one, two, untagged = create_contact(api), create_contact(api), create_contact(api)
        tag_contact(api, one, "vip", "lead")
        tag_contact(api, two, "vip")

        response = api.delete("/v1/tags/VIP")

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"success", "message"}
        assert body["success"] is True
        assert isinstance(body["message"], str) and body["message"]
        assert account_tags(api) == [{"name": "lead", "description": None}]
        assert get_contact(api, one)["tags"] == ["lead"]
        assert contact_tags(api, two) == []
        assert get_contact(api, untagged)["tags"] == []

    def test_a_name_with_a_space_is_found(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        tag_contact(api, contact_id, "big deal")

        response = api.delete("/v1/tags/big%20deal")

        assert response.status_code == 200
        assert get_contact(api, contact_id)["tags"] == []
        assert account_tags(api) == []

    def test_an_unknown_tag_is_404(self, api: TestClient) -> None:
        tag_contact(api, create_contact(api), "vip")

        response = api.delete("/v1/tags/nope")

        assert_error(response, 404, "not_found")
        assert len(account_tags(api)) == 1

    def test_deleting_again_is_404(self, api: TestClient) -> None:
        tag_contact(api, create_contact(api), "vip")
        api.delete("/v1/tags/vip")

        assert_error(api.delete("/v1/tags/vip"), 404, "not_found")

    def test_another_accounts_tag_is_404_and_stays(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        theirs = create_contact(other_api)
        tag_contact(other_api, theirs, "vip")

        assert_error(api.delete("/v1/tags/vip"), 404, "not_found")
        assert get_contact(other_api, theirs)["tags"] == ["vip"]

    def test_a_deleted_name_can_be_used_again(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        tag_contact(api, contact_id, "VIP")
        api.delete("/v1/tags/vip")

        tag_contact(api, contact_id, "vip")

        assert account_tags(api) == [{"name": "vip", "description": None}]
        assert get_contact(api, contact_id)["tags"] == ["vip"]
