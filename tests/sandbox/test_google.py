"""The Google Merchant API emulation, driven by the real Google adapter (service-account JWT
signed by google-auth) and by raw calls; every request checked against the discovery document."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.auth import crypt, jwt

from feedsync.sandbox.google.base import DATA_SOURCE_ID, JWT_BEARER, MERCHANT_ID, SCOPE
from tests.sandbox.oracle import SpecOracle
from tests.sandbox.support import Demo, demo

SOURCE = f"accounts/{MERCHANT_ID}/dataSources/{DATA_SOURCE_ID}"


@pytest.fixture
def shop(tmp_path: Path, oracle: SpecOracle) -> Iterator[Demo]:
    with demo(tmp_path, channels=["google"], oracle=oracle, small=True) as found:
        yield found
        found.clean()


def _key(shop: Demo) -> dict[str, Any]:
    return json.loads((shop.workspace / "sandbox-google-service-account.json").read_text())


def _assertion(info: dict[str, Any], **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": info["client_email"], "scope": SCOPE, "aud": info["token_uri"],
               "iat": now, "exp": now + 3600, **claims}
    signer = crypt.RSASigner.from_service_account_info(info)
    return jwt.encode(signer, payload).decode()


def _exchange(info: dict[str, Any], assertion: str) -> requests.Response:
    return requests.post(info["token_uri"], timeout=5,
                         data={"grant_type": JWT_BEARER, "assertion": assertion})


def test_the_adapter_inserts_and_reads_back_processed_products(shop: Demo) -> None:
    result = shop.feedsync("sync")
    assert result.exit_code == 0, result.output
    assert "9 accepted" in result.output
    calls = shop.sandbox.app.call_counts()["google"]
    assert calls["productInputs.insert"] == {"200": 9}
    assert calls["oauth2.token"] == {"200": 1}  # one token for the whole run


def test_the_jwt_exchange_checks_signature_audience_lifetime_and_scope(shop: Demo) -> None:
    info = _key(shop)
    assert _exchange(info, _assertion(info)).status_code == 200
    other = dict(info, private_key=_foreign_key())
    forged = _exchange(info, _assertion(other))
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_grant"
    for claims in ({"aud": "https://oauth2.googleapis.com/token"}, {"exp": int(time.time())
                   + 7200}, {"scope": "https://www.googleapis.com/auth/drive"}):
        refused = _exchange(info, _assertion(info, **claims))
        assert refused.status_code == 400, claims


def _foreign_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _bearer(shop: Demo) -> dict[str, str]:
    info = _key(shop)
    return {"Authorization": f"Bearer {_exchange(info, _assertion(info)).json()['access_token']}"}


def test_inserts_are_checked_and_processed_later(shop: Demo) -> None:
    base = shop.sandbox.url("google") + f"/products/v1/accounts/{MERCHANT_ID}"
    auth = _bearer(shop)
    good = {"offerId": "MUG-1", "contentLanguage": "en", "feedLabel": "US",
            "productAttributes": {"title": "x" * 151, "link": "https://shop.example.com/m",
                                  "imageLink": "https://cdn.example.com/m.jpg",
                                  "availability": "IN_STOCK", "brand": "Acme",
                                  "price": {"amountMicros": "9990000", "currencyCode": "USD"}}}
    inserted = requests.post(f"{base}/productInputs:insert", json=good, headers=auth,
                             params={"dataSource": SOURCE}, timeout=5)
    assert inserted.status_code == 200
    name = inserted.json()["base64EncodedProduct"].rsplit("/", 1)[1]
    assert requests.get(f"{base}/products/{name}", headers=auth, timeout=5).status_code == 404
    shop.sandbox.admin("clock", {"advance": 2})
    product = requests.get(f"{base}/products/{name}", headers=auth, timeout=5).json()
    issues = product["productStatus"]["itemLevelIssues"]
    assert {i["code"] for i in issues} == {"title_too_long"}  # over 150 characters
    assert all(s.get("disapprovedCountries") for s in
               product["productStatus"]["destinationStatuses"])
    no_offer = requests.post(f"{base}/productInputs:insert", headers=auth, timeout=5,
                             params={"dataSource": SOURCE}, json={**good, "offerId": ""})
    error = no_offer.json()["error"]
    assert no_offer.status_code == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["fieldViolations"][0]["field"] == "offer_id"
    wrong_label = requests.post(f"{base}/productInputs:insert", headers=auth, timeout=5,
                                params={"dataSource": SOURCE}, json={**good, "feedLabel": "DE"})
    assert wrong_label.json()["error"]["status"] == "FAILED_PRECONDITION"
    foreign = requests.get(shop.sandbox.url("google") + "/products/v1/accounts/999/products",
                           headers=auth, timeout=5)
    assert foreign.status_code == 403
    anonymous = requests.get(f"{base}/products", timeout=5)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["status"] == \
        "UNAUTHENTICATED"
