"""POST /v1/contacts: the compatible create, with lists and tags, atomically."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from contacthub.models import Contact
from tests.factories import Account, count_rows, create_list, get_contact, phone


class TestCreate:
    def test_answers_the_seed_shape_and_stores_the_defaults(self, api: TestClient) -> None:
        response = api.post("/v1/contacts", json={"phoneNumber": "+14155550100"})

        assert response.status_code == 200
        body = response.json()
        assert body["success"] is True
        assert body["data"]["message"] == "Successfully created new contact"
        contact = get_contact(api, body["data"]["contactId"])
        assert contact["id"].startswith("ct_")
        assert contact["phoneNumber"] == "+14155550100"
        assert (contact["firstName"], contact["lastName"]) == ("Unknown", "Unknown")
        assert contact["email"] is None
        assert contact["is_bot_active"] is True
        assert contact["do_not_disturb"] is False
        assert contact["isChatWindowOpen"] is False
        assert contact["customFields"] == {}
        assert contact["tags"] == [] and contact["listIds"] == []
        assert contact["createdAt"].endswith("Z")

    def test_stores_every_field_given(self, api: TestClient) -> None:
        body = {
            "phoneNumber": "+44 20 7946 0958",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "Ada@Example.com",
            "is_bot_active": False,
            "do_not_disturb": True,
            "instagramId": "ada.ig",
            "currentCampaign": "spring",
            "currentCampaignData": {"step": 2},
            "channel": "whatsapp",
            "isChatWindowOpen": True,
            "externalId": "crm-1",
            "customChannel": "crm",
            "chatWidgetId": "w1",
            "customFields": {"plan": "pro", "seats": 3},
        }
        contact_id = api.post("/v1/contacts", json=body).json()["data"]["contactId"]

        contact = get_contact(api, contact_id)
        assert contact["phoneNumber"] == "+442079460958"
        assert contact["email"] == "Ada@example.com"
        assert contact["isChatWindowOpen"] is True
        for field in (
            "firstName",
            "lastName",
            "is_bot_active",
            "do_not_disturb",
            "instagramId",
            "currentCampaign",
            "currentCampaignData",
            "channel",
            "externalId",
            "customChannel",
            "chatWidgetId",
            "customFields",
        ):
            assert contact[field] == body[field], field

    def test_accepts_the_aliases_real_clients_send(self, api: TestClient) -> None:
        body = {
            "phone": phone(),
            "isBotActive": False,
            "doNotDisturb": True,
            "custom_fields": {"a": 1},
        }
        contact_id = api.post("/v1/contacts", json=body).json()["data"]["contactId"]

        contact = get_contact(api, contact_id)
        assert contact["is_bot_active"] is False
        assert contact["do_not_disturb"] is True
        assert contact["customFields"] == {"a": 1}

    def test_an_alias_with_its_own_name_is_refused(self, api: TestClient) -> None:
        response = api.post("/v1/contacts", json={"phone": phone(), "phoneNumber": phone()})

        assert response.status_code == 400
        assert response.json()["details"][0]["field"] == "phone"

    def test_refuses_an_unknown_field_by_name(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        response = api.post("/v1/contacts", json={"phoneNumber": phone(), "fristName": "Ann"})

        assert response.status_code == 400
        body = response.json()
        assert body["success"] is False
        assert body["error"] == "validation_error"
        assert body["details"] == [{"field": "fristName", "message": body["details"][0]["message"]}]
        assert "fristName" in body["message"]
        assert count_rows(engine, Contact, account.id) == 0

    def test_requires_a_phone_number(self, api: TestClient) -> None:
        response = api.post("/v1/contacts", json={"firstName": "Ann"})

        assert response.status_code == 400
        assert response.json()["details"] == [{"field": "phoneNumber", "message": "is required"}]

    def test_refuses_the_seeds_placeholder_number_saying_why(self, api: TestClient) -> None:
        response = api.post("/v1/contacts", json={"phoneNumber": "+1234567890"})

        assert response.status_code == 400
        detail = response.json()["details"][0]
        assert detail["field"] == "phoneNumber"
        assert (
            "+1234567890" in detail["message"] and "not a valid phone number" in detail["message"]
        )

    def test_refuses_null_for_a_field_that_cannot_be_empty(self, api: TestClient) -> None:
        response = api.post("/v1/contacts", json={"phoneNumber": phone(), "firstName": None})

        assert response.status_code == 400
        assert response.json()["details"][0] == {"field": "firstName", "message": "may not be null"}

    def test_refuses_wrong_types_and_overlong_names(self, api: TestClient) -> None:
        for body, field in (
            ({"phoneNumber": phone(), "is_bot_active": "yes"}, "is_bot_active"),
            ({"phoneNumber": phone(), "firstName": "x" * 256}, "firstName"),
            ({"phoneNumber": phone(), "email": "not-an-email"}, "email"),
            ({"phoneNumber": phone(), "customFields": {"big": "x" * 70_000}}, "customFields"),
        ):
            response = api.post("/v1/contacts", json=body)
            assert response.status_code == 400, body
            assert response.json()["details"][0]["field"] == field

    def test_a_duplicate_phone_is_409_naming_the_existing_contact(self, api: TestClient) -> None:
        first = api.post("/v1/contacts", json={"phoneNumber": "+14155550100"}).json()["data"][
            "contactId"
        ]

        for spelling in ("+1 (415) 555-0100", "14155550100", "+14155550100", "1.415.555.0100"):
            response = api.post("/v1/contacts", json={"phoneNumber": spelling})
            assert response.status_code == 409, spelling
            assert response.json() == {
                "success": False,
                "error": "contact_exists",
                "error_code": 409,
                "message": "Contact already exists",
                "contactId": first,
                "details": [{"field": "phoneNumber", "message": f"belongs to contact {first}"}],
            }

    def test_a_taken_external_id_is_409_too(self, api: TestClient) -> None:
        first = api.post("/v1/contacts", json={"phoneNumber": phone(), "externalId": "x1"}).json()
        response = api.post("/v1/contacts", json={"phoneNumber": phone(), "externalId": "x1"})

        assert response.status_code == 409
        assert response.json()["contactId"] == first["data"]["contactId"]

    def test_puts_the_contact_on_its_lists_and_tags(self, api: TestClient) -> None:
        one, two = create_list(api), create_list(api)
        response = api.post(
            "/v1/contacts",
            json={
                "phoneNumber": phone(),
                "listIds": [one, two],
                "tags": ["vip", {"name": "lead", "description": "warm"}],
            },
        )

        contact = get_contact(api, response.json()["data"]["contactId"])
        assert sorted(contact["listIds"]) == sorted([one, two])
        assert contact["tags"] == ["lead", "vip"]
        assert {"name": "lead", "description": "warm"} in api.get("/v1/tags").json()

    def test_list_ids_win_over_list_id(self, api: TestClient) -> None:
        one, two = create_list(api), create_list(api)
        response = api.post(
            "/v1/contacts", json={"phoneNumber": phone(), "listId": one, "listIds": [two]}
        )

        assert get_contact(api, response.json()["data"]["contactId"])["listIds"] == [two]

    def test_an_unknown_list_creates_nothing(
        self, api: TestClient, engine: Engine, account: Account
    ) -> None:
        mine = create_list(api)
        response = api.post(
            "/v1/contacts",
            json={"phoneNumber": phone(), "listIds": [mine, "ls_nope"], "tags": ["t"]},
        )

        assert response.status_code == 404
        assert response.json() == {
            "success": False,
            "error": "not_found",
            "message": "List not found",
        }
        assert count_rows(engine, Contact, account.id) == 0
        assert api.get("/v1/tags").json() == []

    def test_another_accounts_list_is_not_found_and_creates_nothing(
        self, api: TestClient, other_api: TestClient, engine: Engine, account: Account
    ) -> None:
        theirs = create_list(other_api)
        response = api.post("/v1/contacts", json={"phoneNumber": phone(), "listId": theirs})

        assert response.status_code == 404
        assert response.json()["message"] == "List not found"
        assert count_rows(engine, Contact, account.id) == 0
        assert other_api.get(f"/v1/lists/{theirs}").json()["data"]["contactCount"] == 0

    def test_the_same_phone_in_two_accounts_is_two_contacts(
        self, api: TestClient, other_api: TestClient
    ) -> None:
        number = phone()
        assert api.post("/v1/contacts", json={"phoneNumber": number}).status_code == 200
        assert other_api.post("/v1/contacts", json={"phoneNumber": number}).status_code == 200
