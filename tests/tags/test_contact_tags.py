"""A contact's tags: GET /v1/contacts/tags/{id}, POST /v1/contacts/{id}/tags, DELETE .../tags/{name}."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    CONTACT_NOT_FOUND,
    UNKNOWN_CONTACT,
    account_tags,
    contact_tags,
    create_contact,
    get_contact,
)


def attach(api: TestClient, contact_id: str, tags: Any) -> Any:
    return api.post(f"/v1/contacts/{contact_id}/tags", json={"tags": tags})


class TestGetContactTags:
    def test_a_bare_array_of_name_and_description_sorted_by_name(self, api: TestClient) -> None:
        contact_id = create_contact(
            api, tags=["zebra", {"name": "alpha", "description": "first"}, "mango"]
        )

        response = api.get(f"/v1/contacts/tags/{contact_id}")

        assert response.status_code == 200
        assert response.json() == [
            {"name": "alpha", "description": "first"},
            {"name": "mango", "description": None},
            {"name": "zebra", "description": None},
        ]

    def test_a_contact_without_tags_has_an_empty_array(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        response = api.get(f"/v1/contacts/tags/{contact_id}")

        assert response.status_code == 200
        assert response.json() == []

    def test_shows_only_this_contacts_tags(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["mine"])
        create_contact(api, tags=["neighbour"])

        assert contact_tags(api, contact_id) == [{"name": "mine", "description": None}]

    def test_without_a_contact_id_is_400(self, api: TestClient) -> None:
        response = api.get("/v1/contacts/tags/")

        assert response.status_code == 400
        assert response.json() == {
            "success": False,
            "error": "bad_request",
            "message": "Missing contact ID",
        }

    def test_an_unknown_contact_is_404(self, api: TestClient) -> None:
        for contact_id in (UNKNOWN_CONTACT, "nope"):
            response = api.get(f"/v1/contacts/tags/{contact_id}")
            assert response.status_code == 404, contact_id
            assert response.json() == CONTACT_NOT_FOUND

    def test_no_key_is_401(self, api: TestClient, anonymous: TestClient) -> None:
        contact_id = create_contact(api, tags=["secret"])

        response = anonymous.get(f"/v1/contacts/tags/{contact_id}")

        assert response.status_code == 401
        assert "secret" not in response.text


class TestAttach:
    def test_attaches_names_and_objects_and_answers_the_tags(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        response = attach(api, contact_id, ["vip", {"name": "lead", "description": "warm"}])

        assert response.status_code == 200
        expected = [
            {"name": "lead", "description": "warm"},
            {"name": "vip", "description": None},
        ]
        assert response.json() == {"success": True, "data": expected}
        assert contact_tags(api, contact_id) == expected
        assert get_contact(api, contact_id)["tags"] == ["lead", "vip"]

    def test_creates_the_missing_tags_in_the_account(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        assert account_tags(api) == []

        attach(api, contact_id, ["new-one", {"name": "new-two", "description": "d"}])

        assert account_tags(api) == [
            {"name": "new-one", "description": None},
            {"name": "new-two", "description": "d"},
        ]

    def test_reuses_an_existing_tag_whatever_its_case_keeping_the_first_spelling(
        self, api: TestClient
    ) -> None:
        create_contact(api, tags=["VIP"])
        contact_id = create_contact(api)

        response = attach(api, contact_id, ["vip", "Vip"])

        assert response.status_code == 200
        assert contact_tags(api, contact_id) == [{"name": "VIP", "description": None}]
        assert get_contact(api, contact_id)["tags"] == ["VIP"]
        assert account_tags(api) == [{"name": "VIP", "description": None}]

    def test_the_first_spelling_in_one_request_is_kept(self, api: TestClient) -> None:
        contact_id = create_contact(api)

        attach(api, contact_id, ["Gold", "GOLD", "gold"])

        assert contact_tags(api, contact_id) == [{"name": "Gold", "description": None}]
        assert [tag["name"] for tag in account_tags(api)] == ["Gold"]

    def test_attaching_again_keeps_one_of_each(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["vip"])

        response = attach(api, contact_id, ["vip", "VIP"])

        assert response.status_code == 200
        assert contact_tags(api, contact_id) == [{"name": "vip", "description": None}]

    def test_adds_to_the_tags_already_there(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["old"])

        attach(api, contact_id, ["new"])

        assert [tag["name"] for tag in contact_tags(api, contact_id)] == ["new", "old"]

    def test_a_description_given_sets_it_a_bare_name_keeps_it(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=[{"name": "lead", "description": "warm"}])

        attach(api, contact_id, ["lead"])
        assert contact_tags(api, contact_id) == [{"name": "lead", "description": "warm"}]

        attach(api, contact_id, [{"name": "LEAD", "description": "hot"}])
        assert contact_tags(api, contact_id) == [{"name": "lead", "description": "hot"}]

    def test_moves_updated_at(self, api: TestClient) -> None:
        contact_id = create_contact(api)
        before = get_contact(api, contact_id)["updatedAt"]

        time.sleep(0.01)
        attach(api, contact_id, ["later"])

        assert get_contact(api, contact_id)["updatedAt"] > before

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"tags": "vip"},
            {"tags": [""]},
            {"tags": ["   "]},
            {"tags": [123]},
            {"tags": [{"description": "no name"}]},
            {"tags": [{"name": "x", "colour": "red"}]},
            {"tags": ["x" * 256]},
            {"tags": ["ok"], "extra": 1},
        ],
    )
    def test_an_invalid_body_is_400_and_attaches_nothing(
        self, api: TestClient, body: dict[str, Any]
    ) -> None:
        contact_id = create_contact(api)

        response = api.post(f"/v1/contacts/{contact_id}/tags", json=body)

        assert response.status_code == 400
        assert response.json()["success"] is False
        assert response.json()["details"]
        assert contact_tags(api, contact_id) == []
        assert account_tags(api) == []

    def test_an_unknown_contact_is_404_and_creates_no_tag(self, api: TestClient) -> None:
        for contact_id in (UNKNOWN_CONTACT, "nope"):
            response = attach(api, contact_id, ["orphan"])
            assert response.status_code == 404, contact_id
            assert response.json() == CONTACT_NOT_FOUND

        assert account_tags(api) == []


class TestDetach:
    def test_detaches_the_named_tag(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["vip", "lead"])

        response = api.delete(f"/v1/contacts/{contact_id}/tags/vip")

        assert response.status_code == 200
        body = response.json()
        assert body["success"] is True
        assert isinstance(body["message"], str) and body["message"]
        assert set(body) == {"success", "message"}
        assert contact_tags(api, contact_id) == [{"name": "lead", "description": None}]
        assert get_contact(api, contact_id)["tags"] == ["lead"]

    def test_the_name_compares_case_insensitively(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["Vip"])

        response = api.delete(f"/v1/contacts/{contact_id}/tags/VIP")

        assert response.status_code == 200
        assert contact_tags(api, contact_id) == []

    def test_a_name_with_spaces_is_url_encoded(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["big deal", "small"])

        response = api.delete(f"/v1/contacts/{contact_id}/tags/big%20deal")

        assert response.status_code == 200
        assert [tag["name"] for tag in contact_tags(api, contact_id)] == ["small"]

    def test_keeps_the_tag_and_other_contacts_that_carry_it(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=[{"name": "vip", "description": "best"}])
        other = create_contact(api, tags=["vip"])

        api.delete(f"/v1/contacts/{contact_id}/tags/vip")

        assert contact_tags(api, other) == [{"name": "vip", "description": "best"}]
        assert account_tags(api) == [{"name": "vip", "description": "best"}]

    def test_a_tag_the_contact_does_not_carry_is_not_an_error(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["kept"])
        create_contact(api, tags=["elsewhere"])

        for name in ("elsewhere", "never-existed"):
            response = api.delete(f"/v1/contacts/{contact_id}/tags/{name}")
            assert response.status_code == 200, name
            assert response.json()["success"] is True

        assert contact_tags(api, contact_id) == [{"name": "kept", "description": None}]

    def test_an_unknown_contact_is_404(self, api: TestClient) -> None:
        for contact_id in (UNKNOWN_CONTACT, "nope"):
            response = api.delete(f"/v1/contacts/{contact_id}/tags/vip")
            assert response.status_code == 404, contact_id
            assert response.json() == CONTACT_NOT_FOUND
