"""National numbers (API.md §1): read in the account's default country everywhere a number is
taken, refused with a message a person can act on without one; another account is unaffected."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.contacts.test_lookup import statements
from tests.factories import assert_invalid, create_contact

NATIONAL = "06 12345678"
E164 = "+31612345678"


@pytest.fixture
def dutch(api: TestClient) -> TestClient:
    """The account, with NL as its default country, its key used once."""
    assert api.patch("/v1/account", json={"defaultCountry": "NL"}).status_code == 200
    return api


def stored_number(api: TestClient, contact_id: str) -> str:
    number: str = api.get(f"/v1/contacts/{contact_id}").json()["data"]["phoneNumber"]
    return number


class TestWithADefaultCountry:
    def test_create_reads_a_national_number_in_it(self, dutch: TestClient) -> None:
        contact_id = create_contact(dutch, phoneNumber=NATIONAL)

        assert stored_number(dutch, contact_id) == E164

    @pytest.mark.parametrize("written", ["0612345678", "06-1234 5678", "(06) 12345678"])
    def test_every_national_spelling_finds_the_contact(
        self, dutch: TestClient, written: str
    ) -> None:
        contact_id = create_contact(dutch, phoneNumber=E164)

        response = dutch.get("/v1/contacts", params={"phoneNumber": written})

        assert response.status_code == 200, response.text
        assert response.json()["contactId"] == contact_id

    def test_the_hot_path_leaves_digits_alone_to_the_route_which_reads_them_national(
        self, api: TestClient, engine: Engine
    ) -> None:
        # 2015550123 is +12015550123 in the US, and +2015550123 (Egypt) with a "+": national first.
        assert api.patch("/v1/account", json={"defaultCountry": "US"}).status_code == 200
        egyptian = create_contact(api, phoneNumber="+2015550123")
        american = create_contact(api, phoneNumber="+12015550123")

        response = api.get("/v1/contacts", params={"phoneNumber": "2015550123"})
        assert response.json()["contactId"] == american
        with statements(engine) as hot:
            international = api.get("/v1/contacts", params={"phoneNumber": "+2015550123"})
        assert hot == []  # a number with its "+" is still answered by the hot path
        assert international.json()["contactId"] == egyptian

    def test_a_number_not_valid_there_is_read_as_international(self, dutch: TestClient) -> None:
        contact_id = create_contact(dutch, phoneNumber="14155550100")

        assert stored_number(dutch, contact_id) == "+14155550100"
        found = dutch.get("/v1/contacts", params={"phoneNumber": "14155550100"})
        assert found.json()["contactId"] == contact_id

    def test_plus_and_00_are_always_international(self, dutch: TestClient) -> None:
        contact_id = create_contact(dutch, phoneNumber="0049 30 1234567")

        assert stored_number(dutch, contact_id) == "+49301234567"
        assert_invalid(
            dutch.post("/v1/contacts", json={"phoneNumber": "+0612345678"}), "phoneNumber"
        )

    def test_a_bare_plus_in_a_query_is_international(self, api: TestClient) -> None:
        # A bare "+" decodes as a space; a client sending one means the "+", on every route.
        assert api.patch("/v1/account", json={"defaultCountry": "US"}).status_code == 200
        egyptian = create_contact(api, phoneNumber="+2015550123")
        create_contact(api, phoneNumber="+12015550123")

        found = api.get("/v1/contacts?phoneNumber=+20+1555+0123")
        tagged = api.post("/v1/tags?tag=vip&phoneNumber=+2015550123")

        assert found.status_code == 200, found.text
        assert found.json()["contactId"] == egyptian
        assert tagged.status_code == 200, tagged.text
        assert tagged.json()["data"]["contactId"] == egyptian
        assert api.get(f"/v1/contacts/tags/{egyptian}").json() == [
            {"name": "vip", "description": None}
        ]
        searched = api.get("/v1/contacts/search?q=+2015550123")
        assert searched.status_code == 200, searched.text
        assert [contact["id"] for contact in searched.json()["data"]] == [egyptian]

    def test_a_space_sent_as_such_is_no_plus(self, api: TestClient) -> None:
        # Only a "+" as sent counts: an encoded space before the digits is a blank, as in a body.
        assert api.patch("/v1/account", json={"defaultCountry": "US"}).status_code == 200
        create_contact(api, phoneNumber="+2015550123")
        american = create_contact(api, phoneNumber="+12015550123")

        found = api.get("/v1/contacts?phoneNumber=%202015550123")

        assert found.status_code == 200, found.text
        assert found.json()["contactId"] == american

    @pytest.mark.parametrize("sent", ["+0612345678", "+%2B31612345678", "+0031612345678"])
    def test_a_space_encoded_as_a_plus_before_a_number_is_a_space(
        self, dutch: TestClient, sent: str
    ) -> None:
        # Clients that encode a space as "+" send " 06…" so: no country code starts with 0, and a
        # number with its own "+" needs no other.
        contact_id = create_contact(dutch, phoneNumber=E164)

        found = dutch.get(f"/v1/contacts?phoneNumber={sent}")

        assert found.status_code == 200, found.text
        assert found.json()["contactId"] == contact_id

    def test_update_and_upsert_read_it_too(self, dutch: TestClient) -> None:
        contact_id = create_contact(dutch)

        updated = dutch.put(f"/v1/contacts/{contact_id}", json={"phoneNumber": NATIONAL})
        assert updated.json()["contact"]["phoneNumber"] == E164
        upserted = dutch.post(
            "/v1/contacts/upsert", json={"phone": "0612345678", "firstName": "Jan"}
        )
        assert upserted.json()["data"] == {
            "contactId": contact_id,
            "created": False,
            "matchedBy": "phoneNumber",
        }

    def test_tagging_by_a_national_number_finds_the_contact(self, dutch: TestClient) -> None:
        contact_id = create_contact(dutch, phoneNumber=E164)

        response = dutch.post("/v1/tags", json={"tag": "vip", "phoneNumber": NATIONAL})

        assert response.status_code == 200, response.text
        assert response.json()["data"]["contactId"] == contact_id

    def test_search_finds_a_whole_national_number(self, dutch: TestClient) -> None:
        contact_id = create_contact(dutch, phoneNumber=E164)

        found = dutch.get("/v1/contacts/search", params={"q": "0612345678"}).json()["data"]

        assert [contact["id"] for contact in found] == [contact_id]

    def test_an_invalid_national_number_says_what_to_do(self, dutch: TestClient) -> None:
        response = dutch.post("/v1/contacts", json={"phoneNumber": "0612"})

        assert_invalid(response, "phoneNumber")
        message = response.json()["message"]
        assert "NL" in message and "country code" in message


class TestWithoutADefaultCountry:
    def test_a_national_number_is_400_saying_to_add_the_country_code_or_set_the_country(
        self, api: TestClient
    ) -> None:
        for response in (
            api.post("/v1/contacts", json={"phoneNumber": "0612345678"}),
            api.get("/v1/contacts", params={"phoneNumber": "0612345678"}),
        ):
            assert_invalid(response, "phoneNumber")
            message = response.json()["message"]
            assert "country code" in message and "default country" in message, message
            assert "Could not interpret" not in message

    def test_digits_with_the_country_code_still_work_without_the_plus(
        self, api: TestClient
    ) -> None:
        contact_id = create_contact(api, phoneNumber="31612345678")

        assert stored_number(api, contact_id) == E164


def test_another_account_is_unaffected(dutch: TestClient, other_api: TestClient) -> None:
    assert create_contact(dutch, phoneNumber=NATIONAL)

    assert_invalid(other_api.post("/v1/contacts", json={"phoneNumber": NATIONAL}), "phoneNumber")
    assert other_api.get("/v1/contacts", params={"phoneNumber": E164}).status_code == 404
    assert other_api.patch("/v1/account", json={"defaultCountry": "BE"}).status_code == 200
    # 0470 12 34 56 is a Belgian mobile; for the Dutch account it stays what NL reads.
    belgian = create_contact(other_api, phoneNumber="0470 12 34 56")
    assert stored_number(other_api, belgian) == "+32470123456"
    assert create_contact(dutch, phoneNumber="0612345679")
