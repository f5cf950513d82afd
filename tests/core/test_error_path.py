"""One error path: one message format for invalid input, whichever layer found it."""

from fastapi.testclient import TestClient


def test_invalid_input_has_one_message_format_from_every_layer(api: TestClient) -> None:
    answers = {
        "limit": api.get("/v1/lists", params={"limit": 0}),  # our own check (core/pagination.py)
        "name": api.post("/v1/lists", json={"name": 1}),  # pydantic's, through app.py's handler
        "Idempotency-Key": api.post(  # a middleware's (idempotency/middleware.py)
            "/v1/lists", json={"name": "x"}, headers={"Idempotency-Key": "k" * 256}
        ),
    }

    for field, response in answers.items():
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["error"] == "validation_error"
        first = body["details"][0]
        assert first["field"] == field
        assert body["message"] == f"Invalid request: {field} {first['message']}"
