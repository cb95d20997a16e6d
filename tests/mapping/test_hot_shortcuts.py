"""Shortcuts of the mapping hot path (issue #19) give exactly what the long way gives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedsync.mapping import hosts
from feedsync.mapping.rules import shown_quantity
from feedsync.mapping.spec import QuantitySpec
from feedsync.mapping.transforms import build_transform
from feedsync.mapping.transforms_numbers import WEIGHT_UNITS, _plain


@pytest.mark.parametrize("text", ["1.234 kg", "1.2345 kg", "0.0005 kg", "-2.5 kg", "12,5 kg",
                                  "1234567.891 kg", "3 kg", "0 kg", "1.10000 kg",
                                  "99999999999999999999.5 kg", "1.2345678901234567890123 kg"])
def test_a_weight_in_its_own_unit_is_written_as_if_converted(text: str) -> None:
    step = build_transform("convert_weight", {"to": "kg", "decimals": 3})
    number = text.split()[0].replace(",", ".")
    kilo = WEIGHT_UNITS["kg"]
    assert step(text, []) == f"{_plain(Decimal(number) * kilo / kilo, 3)} kg"


@pytest.mark.parametrize("available", [-7, -1, 0, 1, 3, 250])
def test_the_default_quantity_is_what_every_step_gives(available: int) -> None:
    spec = QuantitySpec()
    # a trace list makes shown_quantity walk every step
    assert shown_quantity(available, spec) == shown_quantity(available, spec, trace=[])


@pytest.mark.parametrize("url", [
    "https://cdn.example.com/a.jpg", "http://localhost/x.jpg", "http://LOCALHOST./x",
    "https://10.0.0.8:8443/x", "http://user@192.168.1.1/img", "https://[::1]/a",
    "http://[::1/x]/y", "https://shop.local?x=/y", "http://a.lan#f/g", "https://8.8.8.8",
    "http:///path/only", "ftp://localhost/x", "https://x.home.arpa/p"])
def test_hosts_are_remembered_by_their_authority(url: str) -> None:
    hosts._KNOWN.clear()
    first = hosts.unreachable_host(url)
    assert first == hosts._decide(url)  # the whole URL, no memo
    assert hosts.unreachable_host(url) == first  # remembered
