"""/openapi.json describes every endpoint and error answer, and the server conforms."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from console import money
from console.sandbox import tokens
from console.sandbox.app import create_app
from console.sandbox.server import SandboxServer
from tests.sandbox.conftest import Client
from tests.sandbox.conftest import body as body_text

HERE = Path(__file__).parent

EXPECTED = {
    ("/v1/payments", "post"): {
        "201",
        "400",
        "401",
        "402",
        "408",
        "409",
        "413",
        "415",
        "429",
        "500",
    },
    ("/v1/payments/{payment_id}", "get"): {"200", "401", "404", "429", "500"},
    ("/v1/refunds", "post"): {"201", "400", "401", "404", "408", "409", "413", "415", "429", "500"},
    ("/v1/refunds/{refund_id}", "get"): {"200", "401", "404", "429", "500"},
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(":memory:")
    try:
        return app.openapi()
    finally:
        app.state.store.close()


def test_every_operation_documents_its_answers(document: dict[str, Any]) -> None:
    operations = {
        (path, method): set(operation["responses"])
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert operations == EXPECTED
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_answer_documents_its_body_and_request_id(document: dict[str, Any]) -> None:
    for methods in document["paths"].values():
        for operation in methods.values():
            for status, response in operation["responses"].items():
                schema = response["content"]["application/json"]["schema"]
                assert list(schema) == ["$ref"], status
                assert response["headers"]["Request-Id"]["required"] is True
                if status == "429":
                    assert "Retry-After" in response["headers"]


def test_posts_document_their_body_and_idempotency_key(document: dict[str, Any]) -> None:
    for path, schema in (("/v1/payments", "PaymentCreate"), ("/v1/refunds", "RefundCreate")):
        operation = document["paths"][path]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{schema}"}
        (header,) = operation["parameters"]
        assert (header["name"], header["schema"]["maxLength"]) == ("Idempotency-Key", 255)
    assert document["security"] == [{"bearerAuth": []}]


def test_the_schema_has_the_per_currency_decimals(document: dict[str, Any]) -> None:
    payment = document["components"]["schemas"]["PaymentCreate"]
    steps = {
        code: branch["properties"]["amount"]["multipleOf"]
        for branch in payment["anyOf"]
        for code in branch["properties"]["currency"]["enum"]
    }
    assert (steps["JPY"], steps["USD"], steps["KWD"], steps["CLF"]) == (1, 0.01, 0.001, 0.0001)
    assert set(steps) == set(money.currency_codes())
    refund = document["components"]["schemas"]["RefundCreate"]
    assert refund["properties"]["amount"]["multipleOf"] == 0.0001  # the finest of any currency
    assert payment["properties"]["source"]["enum"] == list(tokens.ALL_TOKENS)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    app = create_app(":memory:")
    sync_client = Client(app)
    yield sync_client
    sync_client.close()
    app.state.store.close()


@pytest.fixture(scope="module")
def valid_bodies(document: dict[str, Any]) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """The bodies schemathesis draws as valid, by the path of their POST."""
    schema = schemathesis.openapi.from_dict(document)
    return {
        path: schema[path]["POST"]
        .as_strategy(generation_mode=GenerationMode.POSITIVE)
        .map(lambda case: case.body)
        for path in ("/v1/payments", "/v1/refunds")
    }


def exact(value: Any) -> Decimal:
    """A drawn JSON number as the sandbox reads it: from its JSON text, exactly."""
    return Decimal(json.dumps(value))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_payment_the_schema_allows_is_created(
    client: Client, valid_bodies: dict[str, st.SearchStrategy[Any]], data: st.DataObject
) -> None:
    """Created (201), or declined (402, the payment kept as failed) exactly for a decline
    token: what schemathesis.toml lets positive_data_acceptance accept, and no more."""
    body = data.draw(valid_bodies["/v1/payments"])
    answer = client.post("payments", json.dumps(body))
    declined = body["source"] in tokens.DECLINE_CODES
    assert answer.status_code == (402 if declined else 201), answer.text
    payment_id = money.loads(answer.text)["payment_id" if declined else "id"]
    payment = money.loads(client.get(f"payments/{payment_id}").text)
    assert payment["amount"] == exact(body["amount"])
    assert payment["status"] == ("failed" if declined else "succeeded")


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_refund_the_schema_allows_is_accepted_by_a_payment_that_can_take_it(
    client: Client, valid_bodies: dict[str, st.SearchStrategy[Any]], data: st.DataObject
) -> None:
    """What schemathesis cannot see (schemathesis.toml lets a refund's 400 pass): a refund
    the schema allows is accepted by a payment that can take any, the largest there is in
    a currency with four decimals."""
    body = data.draw(valid_bodies["/v1/refunds"])
    largest = Decimal(10**money.MAX_INTEGER_DIGITS) - Decimal("0.0001")
    paid = client.post(
        "payments", body_text(amount=str(largest), currency="CLF", source="tok_visa")
    )
    assert paid.status_code == 201, paid.text
    refund = {**body, "payment_id": money.loads(paid.text)["id"]}
    answer = client.post("refunds", json.dumps(refund))
    assert answer.status_code == 201, answer.text
    amount = body.get("amount")
    assert money.loads(answer.text)["amount"] == (largest if amount is None else exact(amount))


def test_schemathesis_finds_nothing_with_every_check(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    """A bounded, seeded schemathesis run over every phase and every check, the
    positive_data_acceptance check included, and every warning failing the run.

    schemathesis.toml says, with its reasons, the three things no schema can: a decline
    token's 402 accepts the payment, a refund's 400 can come from its payment's state, and
    an Idempotency-Key is unique to its request (schemathesis_hooks.py).
    """
    origin = sandbox_server.base_url.removesuffix("/v1")
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{origin}/openapi.json",
            "--header",
            f"Authorization: Bearer {sandbox_server.api_key}",
            "--checks",
            "all",
            "--max-examples",
            "60",
            "--seed",
            "20240610",
            "--workers",
            "1",
            "--no-shrink",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(HERE.parents[1])},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
