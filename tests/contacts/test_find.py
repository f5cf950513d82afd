"""GET /v1/contacts: the compatible lookup by phone number and/or email."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import CONTACT_NOT_FOUND, create_contact, get_contact, phone


def find(api: TestClient, **params: str) -> Any:
    """The lookup's response."""
    return api.get("/v1/contacts", params=params)


def found_id(api: TestClient, **params: str) -> str:
    """The id of the contact the lookup finds (it must find one)."""
    response = find(api, **params)
    assert response.status_code == 200, response.text
    contact_id: str = response.json()["contactId"]
    return contact_id


class TestFindByPhone:
    def test_answers_the_seed_shape_with_the_whole_contact(self, api: TestClient) -> None:
        contact_id = create_contact(api, firstName="Ann", tags=["vip"])

        response = find(api, phoneNumber=get_contact(api, contact_id)["phoneNumber"])

        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "contactId": contact_id,
            "contact": get_contact(api, contact_id),
        }

    @pytest.mark.parametrize(
        "spelling",
        ["+1 (415) 555-0100", "14155550100", "+14155550100", "1.415.555.0100", "+1-415-555-0100"],
    )
    def test_every_spelling_of_a_number_finds_the_same_contact(
        self, api: TestClient, spelling: str
    ) -> None:
        contact_id = create_contact(api, phoneNumber="+14155550100")
        create_contact(api)

        assert found_id(api, phoneNumber=spelling) == contact_id

    def test_a_contact_stored_from_a_loose_spelling_is_found_by_e164(self, api: TestClient) -> None:
        contact_id = create_contact(api, phoneNumber="44 20 7946 0958")

        assert found_id(api, phoneNumber="+442079460958") == contact_id

    def test_an_unknown_number_is_404(self, api: TestClient) -> None:
        create_contact(api)

        response = find(api, phoneNumber=phone())

        assert response.status_code == 404
        assert response.json() == CONTACT_NOT_FOUND

    def test_another_accounts_number_is_404(self, api: TestClient, other_api: TestClient) -> None:
        number = phone()
        create_contact(other_api, phoneNumber=number, email="theirs@example.com")

        for params in ({"phoneNumber": number}, {"email": "theirs@example.com"}):
            response = find(api, **params)
            assert response.status_code == 404, params
            assert response.json() == CONTACT_NOT_FOUND


class TestFindByEmail:
    def test_compares_email_case_insensitively(self, api: TestClient) -> None:
        contact_id = create_contact(api, email="Ada.Lovelace@Example.com")

        for spelling in ("ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM"):
            response = find(api, email=spelling)
            assert response.status_code == 200, spelling
            assert response.json()["contactId"] == contact_id
            assert response.json()["contact"]["email"] == "Ada.Lovelace@example.com"

    def test_the_oldest_contact_with_a_shared_email_wins(self, api: TestClient) -> None:
        oldest = create_contact(api, email="shared@example.com")
        time.sleep(0.005)  # "oldest" is by creation time, to the millisecond
        create_contact(api, email="Shared@Example.com")
        time.sleep(0.005)
        create_contact(api, email="SHARED@example.com")

        assert found_id(api, email="shared@example.com") == oldest

    def test_an_unknown_email_is_404(self, api: TestClient) -> None:
        create_contact(api, email="someone@example.com")

        response = find(api, email="nobody@example.com")

        assert response.status_code == 404
        assert response.json() == CONTACT_NOT_FOUND

    def test_a_cleared_email_is_no_longer_found(self, api: TestClient) -> None:
        contact_id = create_contact(api, email="gone@example.com")
        assert api.put(f"/v1/contacts/{contact_id}", json={"email": None}).status_code == 200

        response = find(api, email="gone@example.com")

        assert response.status_code == 404
        assert response.json() == CONTACT_NOT_FOUND


class TestFindByBoth:
    def test_finds_the_contact_matching_both(self, api: TestClient) -> None:
        number = phone()
        contact_id = create_contact(api, phoneNumber=number, email="both@example.com")

        assert found_id(api, phoneNumber=number, email="BOTH@example.com") == contact_id

    def test_a_phone_and_an_email_of_different_contacts_is_404(self, api: TestClient) -> None:
        number = phone()
        create_contact(api, phoneNumber=number, email="one@example.com")
        create_contact(api, email="two@example.com")

        response = find(api, phoneNumber=number, email="two@example.com")

        assert response.status_code == 404
        assert response.json() == CONTACT_NOT_FOUND

    def test_the_phone_picks_a_newer_contact_sharing_the_email(self, api: TestClient) -> None:
        create_contact(api, email="family@example.com")
        time.sleep(0.005)
        number = phone()
        newer = create_contact(api, phoneNumber=number, email="family@example.com")

        assert found_id(api, phoneNumber=number, email="family@example.com") == newer


class TestFindRefusals:
    def test_neither_phone_nor_email_is_400_naming_both(self, api: TestClient) -> None:
        create_contact(api)

        response = find(api)

        assert response.status_code == 400
        body = response.json()
        assert body["success"] is False
        assert body["message"]
        assert {detail["field"] for detail in body.get("details", [])} == {"phoneNumber", "email"}

    @pytest.mark.parametrize("value", ["+1234567890", "not-a-phone", "12", ""])
    def test_an_invalid_phone_number_is_400_naming_the_field_and_value(
        self, api: TestClient, value: str
    ) -> None:
        response = find(api, phoneNumber=value)

        assert response.status_code == 400
        body = response.json()
        assert body["success"] is False
        assert body["error"] == "validation_error"
        assert [detail["field"] for detail in body["details"]] == ["phoneNumber"]
        assert f"'{value}'" in body["details"][0]["message"]

    @pytest.mark.parametrize("value", ["not-an-email", "a@", "@example.com"])
    def test_an_invalid_email_is_400_naming_the_field(self, api: TestClient, value: str) -> None:
        response = find(api, email=value)

        assert response.status_code == 400
        body = response.json()
        assert body["success"] is False
        assert [detail["field"] for detail in body["details"]] == ["email"]

    def test_an_invalid_email_beside_a_valid_phone_is_still_400(self, api: TestClient) -> None:
        number = phone()
        create_contact(api, phoneNumber=number)

        response = find(api, phoneNumber=number, email="nope")

        assert response.status_code == 400
        assert [detail["field"] for detail in response.json()["details"]] == ["email"]

    def test_no_key_is_401(self, anonymous: TestClient, api: TestClient) -> None:
        number = phone()
        create_contact(api, phoneNumber=number)

        response = find(anonymous, phoneNumber=number)

        assert response.status_code == 401
        assert response.json()["success"] is False
        assert "contact" not in response.json()
