"""What an order's stored content is: its canonical timestamps, raw JSON and content hash.

Both the hash and the ``raw`` column must stay byte-for-byte what they were: a changed hash
would make every stored order look updated at the next pull (issue #19 made them cheaper, not
different).
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from feedsync.catalog.rows import decimal_text
from feedsync.clock import iso_z
from feedsync.models import Order


def iso(value: datetime) -> str:
    """Canonical UTC text of a timestamp (naive values are taken as UTC)."""
    return iso_z(value, timespec="auto")


def _json_encoder(**options: Any) -> Callable[[Any], str]:
    """``json.dumps(value, **options)`` as one function, its C encoder built once.

    ``JSONEncoder.encode`` builds a new C encoder per call, which cost as much as encoding an
    order (issue #19). The text is the same; the only difference is that a self-containing
    value raises RecursionError rather than ValueError (payloads come from JSON: they cannot).
    """
    encoder = json.JSONEncoder(**options)
    make = json.encoder.c_make_encoder  # type: ignore[attr-defined]  # CPython's _json
    if make is None:  # no C accelerator: the plain path
        return encoder.encode
    strings = (json.encoder.encode_basestring_ascii if encoder.ensure_ascii
               else json.encoder.encode_basestring)
    encode = make(None, encoder.default, strings, None, encoder.key_separator,
                  encoder.item_separator, encoder.sort_keys, encoder.skipkeys,
                  encoder.allow_nan)
    join = "".join
    return lambda value: join(encode(value, 0))


_HASH_JSON = _json_encoder(sort_keys=True, default=str, separators=(",", ":"))
_RAW_JSON = _json_encoder(sort_keys=True, default=str, ensure_ascii=False)


def order_hash(order: Order, raw: Any, created: str, updated: str, total: str | None,
                prices: Sequence[str | None]) -> str:
    """The order's content hash; ``created``/``updated`` are its timestamps' :func:`iso` text,
    ``total`` and ``prices`` (the lines' unit prices) their :func:`decimal_text`."""
    payload = {
        "status": str(order.status), "created": created,
        "updated": updated, "total": total,
        "currency": order.currency, "fees": decimal_text(order.fees),
        "fulfillment": order.fulfillment_channel, "raw": raw,
        "lines": [[ln.line_id, ln.sku, ln.quantity, ln.quantity_shipped,
                   price, ln.currency, ln.title, ln.channel_item_id]
                  for ln, price in zip(order.lines, prices, strict=True)],
    }
    text = _HASH_JSON(payload)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def raw_json(raw: Any) -> str:
    """The text of the ``raw`` column: ``json.dumps(raw, sort_keys=True, default=str,
    ensure_ascii=False)``."""
    return _RAW_JSON(raw)
