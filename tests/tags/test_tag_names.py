"""Names of lists and tags (review L5, L6), on both databases.

Names are stored NFC-normalised; two names are the same when their NFKC case folds match with
format characters (such as a zero-width space) left out. A tag is managed by its stripped name on
every route, and a name with "/" is reached percent-encoded (``{name:path}``).
"""

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    account_tags,
    assert_error,
    assert_invalid,
    contact_tags,
    create_contact,
    create_list,
)


class TestListNames:
    @pytest.mark.parametrize("second", ["Cafe\u0301", "CAFÉ", "Caf\u200bé", "Ｃａｆé"])
    def test_lookalike_names_are_one_list(self, api: TestClient, second: str) -> None:
        create_list(api, "Café")

        response = api.post("/v1/lists", json={"name": second})

        assert_error(response, 409, "conflict")

    def test_a_decomposed_name_is_stored_composed(self, api: TestClient) -> None:
        response = api.post("/v1/lists", json={"name": "Cafe\u0301"})

        assert response.json()["data"]["name"] == "Café"

    def test_a_name_of_format_characters_only_is_400(self, api: TestClient) -> None:
        assert_invalid(api.post("/v1/lists", json={"name": "\u200b\u200d"}), "name")


class TestTagNames:
    @pytest.mark.parametrize("second", ["Cafe\u0301", "CAFÉ", "Caf\u200bé"])
    def test_lookalike_names_are_one_tag(self, api: TestClient, second: str) -> None:
        contact_id = create_contact(api)
        api.post(f"/v1/contacts/{contact_id}/tags", json={"tags": ["Café", second]})

        assert [tag["name"] for tag in account_tags(api)] == ["Café"]
        assert [tag["name"] for tag in contact_tags(api, contact_id)] == ["Café"]

    def test_a_decomposed_name_is_stored_composed(self, api: TestClient) -> None:
        api.put("/v1/tags/Cafe%CC%81", json={"description": "d"})

        assert account_tags(api) == [{"name": "Café", "description": "d"}]

    @pytest.mark.parametrize("name", ["%20", "%20%20", "%E2%80%8B"])
    def test_a_blank_name_is_400_on_put_and_makes_no_tag(self, api: TestClient, name: str) -> None:
        assert_invalid(api.put(f"/v1/tags/{name}", json={"description": "x"}), "name")
        assert account_tags(api) == []

    @pytest.mark.parametrize("name", ["%20", "%E2%80%8B"])
    def test_a_blank_name_is_400_on_delete_and_detach(self, api: TestClient, name: str) -> None:
        contact_id = create_contact(api)

        assert_invalid(api.delete(f"/v1/tags/{name}"), "name")
        assert_invalid(api.delete(f"/v1/contacts/{contact_id}/tags/{name}"), "name")

    def test_a_name_with_spaces_around_is_managed_by_its_stripped_name(
        self, api: TestClient
    ) -> None:
        contact_id = create_contact(api, tags=["vip"])

        assert api.put("/v1/tags/%20vip%20", json={"description": "d"}).status_code == 200
        detached = api.delete(f"/v1/contacts/{contact_id}/tags/%20vip%20")
        assert detached.status_code == 200, detached.text
        assert contact_tags(api, contact_id) == []
        assert api.delete("/v1/tags/%20VIP%20").status_code == 200
        assert account_tags(api) == []

    def test_a_name_with_a_slash_can_be_detached_and_deleted(self, api: TestClient) -> None:
        contact_id = create_contact(api, tags=["a/b"])

        assert api.put("/v1/tags/a%2Fb", json={"description": "d"}).status_code == 200
        assert account_tags(api) == [{"name": "a/b", "description": "d"}]
        detached = api.delete(f"/v1/contacts/{contact_id}/tags/a%2Fb")
        assert detached.status_code == 200, detached.text
        assert contact_tags(api, contact_id) == []
        deleted = api.delete("/v1/tags/a%2Fb")
        assert deleted.status_code == 200, deleted.text
        assert account_tags(api) == []

    def test_tagging_by_query_strips_and_normalises_the_name(self, api: TestClient) -> None:
        contact_id = create_contact(api, email="ada@example.com")

        response = api.post("/v1/tags", params={"tag": " Cafe\u0301 ", "email": "ada@example.com"})

        assert response.status_code == 200, response.text
        assert [tag["name"] for tag in contact_tags(api, contact_id)] == ["Café"]
