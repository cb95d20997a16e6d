"""A confirmShipment whose answer was lost is read back before it is sent again (issue #16,
point 1): the same package is never confirmed twice.

Amazon's own example payloads (searchOrders, getOrder with its `packages`) from
/work/shared/specs/amazon/examples; HTTP through `responses`, no network.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from click.testing import CliRunner
from feedsync.adapters.amazon import readback as amazon_readback

from feedsync.cli.main import cli
from tests.orders.helpers import db_rows
from tests.orders.test_amazon_loop import BASE, LWA, ORDER_ID, SEARCH, amazon, search_page  # noqa: F401

CONFIRM = f"{BASE}/orders/v0/orders/{ORDER_ID}/shipmentConfirmation"
GET_ORDER = f"{BASE}/orders/2026-01-01/orders/{ORDER_ID}"
TRACKING = "1Z999AA10123456784"


class Amazon:
    """confirmShipment that can lose its answer (or the request), getOrder with packages."""

    def __init__(self, mock: responses.RequestsMock, specs_dir: Path) -> None:
        self.packages: list[dict[str, Any]] = []
        self.lose_answer = 0
        self.lose_request = 0
        self.confirms = 0
        example = json.loads((specs_dir / "amazon" / "examples" /
                              "orders2026.getOrder.200.json").read_text())
        self.order = example["order"]
        self.order["orderId"] = ORDER_ID
        mock.add(responses.POST, LWA, json={"access_token": "Atza|access-1",
                                            "token_type": "bearer", "expires_in": 3600})
        mock.add(responses.GET, SEARCH, json=search_page(
            specs_dir, shipped=False, updated="2024-12-25T14:45:00Z"))
        mock.add_callback(responses.POST, CONFIRM, callback=self.confirm)
        mock.add_callback(responses.GET, GET_ORDER, callback=self.get_order)

    def confirm(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.confirms += 1
        if self.lose_request:
            self.lose_request -= 1
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        package = json.loads(request.body or b"{}")["packageDetail"]
        self.packages.append({"packageReferenceId": package["packageReferenceId"],
                              "trackingNumber": package["trackingNumber"],
                              "carrier": package["carrierCode"]})
        if self.lose_answer:
            self.lose_answer -= 1
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        return 204, {}, ""

    def get_order(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        assert "includedData=PACKAGES" in (request.url or "")
        order = copy.deepcopy(self.order)
        order["packages"] = list(self.packages)
        return 200, {}, json.dumps({"order": order})


def run(root: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "--json", *args])
    return dict(json.loads(result.output.strip().splitlines()[-1]))


def ship_file(root: Path) -> Path:
    path = root / "ship.csv"
    path.write_text(f"order_id,carrier,tracking_number\n{ORDER_ID},UPS,{TRACKING}\n")
    return path


def test_lost_confirmation_answer_is_found_and_not_sent_twice(amazon: Path,  # noqa: F811
                                                              specs_dir: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        channel = Amazon(mock, specs_dir)
        run(amazon, "orders", "pull", "amazon")
        channel.lose_answer = 1
        first = run(amazon, "orders", "ship", str(ship_file(amazon)))
        assert [r["status"] for r in first["results"]] == ["unknown"], first
        assert db_rows(amazon, "SELECT status FROM shipments") == [("sending",)]
        again = run(amazon, "orders", "ship", str(ship_file(amazon)))
        assert [r["status"] for r in again["results"]] == ["confirmed"], again
        assert "read back" in again["results"][0]["message"]
        assert channel.confirms == 1 and len(channel.packages) == 1
        third = run(amazon, "orders", "ship", str(ship_file(amazon)))
        assert [r["status"] for r in third["results"]] == ["already_confirmed"]
        assert channel.confirms == 1


def test_lost_confirmation_request_is_resent_once_proven(amazon: Path,  # noqa: F811
                                                         specs_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        channel = Amazon(mock, specs_dir)
        run(amazon, "orders", "pull", "amazon")
        channel.lose_request = 1
        first = run(amazon, "orders", "ship", str(ship_file(amazon)))
        assert [r["status"] for r in first["results"]] == ["unknown"]
        # Within the settle window Amazon may not list the package yet: nothing is resent.
        wait = run(amazon, "orders", "ship", str(ship_file(amazon)))
        assert [r["status"] for r in wait["results"]] == ["unknown"] and channel.confirms == 1
        monkeypatch.setattr(amazon_readback, "SETTLE_SECONDS", 0.0)
        again = run(amazon, "orders", "ship", str(ship_file(amazon)))
        assert [r["status"] for r in again["results"]] == ["confirmed"]
        assert channel.confirms == 2 and len(channel.packages) == 1
