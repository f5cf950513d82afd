"""POST /v1/contacts/upsert: find by the first identifier, update it, or create one."""

from fastapi.testclient import TestClient

from tests.factories import create_contact, create_list, get_contact, phone


class TestUpsert:
    def test_creates_when_nothing_matches(self, api: TestClient) -> None:
        response = api.post(
            "/v1/contacts/upsert", json={"phoneNumber": phone(), "firstName": "Ann"}
        )

        assert response.status_code == 200
        data = response.json()["data"]
        assert data["created"] is True
        assert data["matchedBy"] is None
        assert get_contact(api, data["contactId"])["firstName"] == "Ann"

    def test_updates_the_contact_its_phone_finds_in_any_spelling(self, api: TestClient) -> None:
        contact_id = create_contact(
            api, phoneNumber="+14155550100", firstName="Ann", lastName="Lee"
        )

        response = api.post(
            "/v1/contacts/upsert", json={"phoneNumber": "1 415 555 0100", "firstName": "Anna"}
        )

        assert response.json() == {
            "success": True,
            "data": {"contactId": contact_id, "created": False, "matchedBy": "phoneNumber"},
        }
        contact = get_contact(api, contact_id)
        assert (contact["firstName"], contact["lastName"]) == ("Anna", "Lee")

    def test_matches_on_the_first_identifier_present_only(self, api: TestClient) -> None:
        by_external = create_contact(api, externalId="crm-7")
        create_contact(api, instagramId="ig.seven")

        response = api.post(
            "/v1/contacts/upsert", json={"externalId": "crm-7", "email": "seven@example.com"}
        )

        assert response.json()["data"] == {
            "contactId": by_external,
            "created": False,
            "matchedBy": "externalId",
        }
        assert get_contact(api, by_external)["email"] == "seven@example.com"

    def test_creates_a_contact_without_a_phone(self, api: TestClient) -> None:
        response = api.post(
            "/v1/contacts/upsert", json={"instagramId": "ig.only", "channel": "instagram"}
        )

        data = response.json()["data"]
        assert data["created"] is True
        contact = get_contact(api, data["contactId"])
        assert contact["phoneNumber"] is None
        assert contact["instagramId"] == "ig.only"
        again = api.post("/v1/contacts/upsert", json={"instagramId": "ig.only"}).json()["data"]
        assert again == {
            "contactId": data["contactId"],
            "created": False,
            "matchedBy": "instagramId",
        }

    def test_matches_email_case_insensitively_and_picks_the_oldest(self, api: TestClient) -> None:
        oldest = create_contact(api, email="Same@Example.com")
        create_contact(api, email="same@example.com")

        data = api.post("/v1/contacts/upsert", json={"email": "SAME@example.com"}).json()["data"]

        assert data == {"contactId": oldest, "created": False, "matchedBy": "email"}

    def test_another_identifier_held_by_a_different_contact_is_409(self, api: TestClient) -> None:
        mine = create_contact(api, phoneNumber="+14155550100")
        theirs = create_contact(api, externalId="crm-9")

        response = api.post(
            "/v1/contacts/upsert", json={"phoneNumber": "+14155550100", "externalId": "crm-9"}
        )

        assert response.status_code == 409
        assert response.json()["contactId"] == theirs
        assert get_contact(api, mine)["externalId"] is None

    def test_needs_an_identifier(self, api: TestClient) -> None:
        response = api.post("/v1/contacts/upsert", json={"firstName": "Nobody"})

        assert response.status_code == 400
        assert response.json()["success"] is False

    def test_adds_lists_and_tags_without_removing_any(self, api: TestClient) -> None:
        first, second = create_list(api), create_list(api)
        contact_id = create_contact(api, listIds=[first], tags=["a"])

        number = get_contact(api, contact_id)["phoneNumber"]
        api.post(
            "/v1/contacts/upsert", json={"phoneNumber": number, "listId": second, "tags": ["b"]}
        )

        contact = get_contact(api, contact_id)
        assert sorted(contact["listIds"]) == sorted([first, second])
        assert contact["tags"] == ["a", "b"]

    def test_does_not_see_another_accounts_contact(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        number = phone()
        theirs = create_contact(other_api, phoneNumber=number, firstName="Theirs")

        data = api.post(
            "/v1/contacts/upsert", json={"phoneNumber": number, "firstName": "Mine"}
        ).json()["data"]

        assert data["created"] is True
        assert data["contactId"] != theirs
        assert get_contact(other_api, theirs)["firstName"] == "Theirs"
