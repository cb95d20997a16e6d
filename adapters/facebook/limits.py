"""Meta Graph API catalog batch: documented limits, error codes and throttling hints, as data.

- ``items_batch``: "The requests parameter can contain up to 5000 items" and "The request
  payload size should not exceed 28 MB"
  (https://developers.facebook.com/docs/marketing-api/reference/product-catalog/items_batch/).
  "28 MB" is read as 28,000,000 bytes, the smaller of its two readings, minus the JSON envelope
  around the requests, so a batch the core fills to the limit is never over it.
- Calls per catalog are limited by the "Catalog Batch" business-use-case formula; Meta's
  commerce guide puts it at "up to 100 calls per hour"
  (https://developers.facebook.com/docs/commerce-platform/catalog/best-practices). Throttling is
  reported as HTTP 400/403 with Graph error codes 4, 17, 32, 613 or 80014 and an
  ``X-Business-Use-Case-Usage`` header giving ``estimated_time_to_regain_access`` in minutes
  (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
- Graph error codes (https://developers.facebook.com/docs/graph-api/guides/error-handling):
  190 invalid/expired token and 10/200-299 missing permissions need a human; 1 and 2 are
  transient (as is any error flagged ``is_transient``); 100 is an invalid parameter.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from feedsync.adapter import HttpApi, Limits
from feedsync.http import (
    Action,
    BaseUrls,
    ErrorTable,
    HintHook,
    OperationLimit,
    RateHint,
    Rule,
    json_body,
    rules_for_codes,
)

from .render import ENVELOPE_BYTES

# https://developers.facebook.com/docs/graph-api/overview (no separate sandbox host).
GRAPH_URL = "https://graph.facebook.com"

ITEMS_BATCH = "items_batch"
BATCH_STATUS = "check_batch_request_status"

MAX_ITEMS = 5000
MAX_PAYLOAD_BYTES = 28_000_000

OPERATIONS: tuple[OperationLimit, ...] = (
    OperationLimit(ITEMS_BATCH, rate_per_second=100 / 3600, burst=10),
    OperationLimit(BATCH_STATUS, rate_per_second=1.0, burst=5),
)

LIMITS = Limits(max_batch_items=MAX_ITEMS, max_batch_bytes=MAX_PAYLOAD_BYTES - ENVELOPE_BYTES,
                operations=OPERATIONS)


def _transient(response: requests.Response) -> bool:
    body = json_body(response)
    return bool(isinstance(body, dict) and isinstance(body.get("error"), dict)
                and body["error"].get("is_transient") is True)


META_RULES: tuple[Rule, ...] = (
    *rules_for_codes(Action.FAIL_CONFIG, ["190", "102", "10"],
                     reason="the access token is invalid, expired or lacks a permission: "
                            "issue a new system-user token with catalog_management"),
    Rule(Action.FAIL_CONFIG, status=403, reason="permission denied"),
    *rules_for_codes(Action.RATE_LIMITED, ["4", "17", "32", "613", "80014"],
                     reason="Meta throttled the catalog"),
    *rules_for_codes(Action.RETRY, ["1", "2"], reason="Meta reported a temporary error"),
    Rule(Action.RETRY, status=(400, 499), when=_transient,
         reason="Meta flagged the error as transient"),
    *rules_for_codes(Action.FAIL_ITEM, ["100"], reason="invalid parameter"),
)


def _permission_code(response: requests.Response) -> str | None:
    """Graph's ``error.code``; codes 200-299 (permission errors) fold into ``"10"``."""
    body = json_body(response)
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
        return None
    code = body["error"].get("code")
    if code is None:
        return None
    if isinstance(code, int) and 200 <= code <= 299:
        return "10"
    return str(code)


ERROR_TABLE = ErrorTable().extend(META_RULES, code_of=_permission_code)


def business_usage_hint(response: requests.Response, now: float) -> RateHint | None:
    """``X-Business-Use-Case-Usage``: wait ``estimated_time_to_regain_access`` minutes."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage: Any = json.loads(raw)
    except ValueError:
        return None
    minutes = 0.0
    if isinstance(usage, dict):
        for entries in usage.values():
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict):
                    try:
                        minutes = max(minutes, float(entry.get("estimated_time_to_regain_access")
                                                     or 0))
                    except (TypeError, ValueError):
                        continue
    if minutes <= 0:
        return None
    return RateHint(retry_after=minutes * 60, block_until=now + minutes * 60)


# Meta's own throttling header; Retry-After and x-ratelimit-reset are read for every channel.
HINT_HOOKS: tuple[HintHook, ...] = (business_usage_hint,)

API = HttpApi(base_urls=BaseUrls(production=GRAPH_URL), error_table=ERROR_TABLE,
              hints=HINT_HOOKS)
