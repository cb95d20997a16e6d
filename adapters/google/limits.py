"""Google Merchant API v1: documented limits, operation names and error codes, as data.

- One product per request. ``productInputs.insert``/``delete`` take one product each; Merchant
  API has no ``custombatch`` (Content API's is gone with it). It does accept HTTP multipart
  batches (https://developers.google.com/merchant/api/guides/batch-requests), but each part is
  still one request against the per-method quota and the per-product update limit, and a part
  that fails transiently would need retry logic in the adapter, which belongs in feedsync.http.
  So every core batch holds exactly one item: one batch, one call, one atomic commit, and a
  crash can lose at most the outcome of the one call in flight.
- "You can only update your products up to twice per day"
  (https://developers.google.com/merchant/api/guides/quotas-limits): a per-product daily budget
  of 2 on the write operation, persisted in the workspace database. Inserts and deletes both
  count: each changes the product.
- Per-minute quotas are adjusted by Google per account and not published; the rates below are
  a conservative self-imposed pace, and a 429 (RESOURCE_EXHAUSTED) with or without Retry-After
  still slows the bucket down.
"""

from __future__ import annotations

import requests

from feedsync.adapter import HttpApi, Limits
from feedsync.http import Action, BaseUrls, ErrorTable, OperationLimit, Rule, json_body

# https://developers.google.com/merchant/api/reference/rest (no sandbox: use a test account).
BASE_URL = "https://merchantapi.googleapis.com"

# Operation names used with HttpClient.request(operation=...).
WRITE = "productInputs.write"  # insert and delete: both are "updates" of the product
READ = "products.read"  # products.get and products.list
# localInventories.insert / delete (feedsync local-inventory push). Google publishes no
# per-product limit for local inventory updates; the same conservative pace as product writes.
LOCAL_WRITE = "localInventories.write"
UPDATES_PER_PRODUCT_PER_DAY = 2

OPERATIONS: tuple[OperationLimit, ...] = (
    OperationLimit(WRITE, rate_per_second=5.0, burst=10,
                   per_key_daily_budget=UPDATES_PER_PRODUCT_PER_DAY),
    OperationLimit(READ, rate_per_second=5.0, burst=10),
    OperationLimit(LOCAL_WRITE, rate_per_second=5.0, burst=10),
)

LIMITS = Limits(max_batch_items=1, max_batch_bytes=None, operations=OPERATIONS)

PAGE_SIZE = 1000  # products.list maximum page size (discovery: "The maximum value is 1000")


def google_error_code(response: requests.Response) -> str | None:
    """Google's canonical error status (``{"error": {"status": "INVALID_ARGUMENT"}}``).

    https://cloud.google.com/apis/design/errors#http_mapping; the numeric ``code`` only repeats
    the HTTP status, so the status name is the code rules match on.
    """
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        status = error.get("status") or error.get("code")
        return None if status is None else str(status)
    return None


GOOGLE_RULES: tuple[Rule, ...] = (
    Rule(Action.FAIL_ITEM, status=400, code="INVALID_ARGUMENT",
         reason="Google rejected the product data"),
    Rule(Action.FAIL_CONFIG, status=400, code="FAILED_PRECONDITION",
         reason="the account or data source is not set up for this call (is the data source "
                "an API data source with this feed label and language?)"),
    Rule(Action.REFRESH_AUTH, status=401, reason="the access token was refused"),
    Rule(Action.FAIL_CONFIG, status=403, reason="PERMISSION_DENIED: the service account is "
         "not a user of this Merchant Center account, or the API is not enabled"),
    Rule(Action.FAIL_CONFIG, status=404, reason="NOT_FOUND: check merchant_id and data_source"),
    Rule(Action.RATE_LIMITED, status=429, reason="RESOURCE_EXHAUSTED: quota exceeded"),
    Rule(Action.RETRY, status=409, code="ABORTED", reason="concurrent change, try again"),
    Rule(Action.RETRY, status=(500, 599), reason="Google server error"),
)

ERROR_TABLE = ErrorTable().extend(GOOGLE_RULES, code_of=google_error_code)

# Google sends no rate-limit headers beyond Retry-After (read for every channel): no hints.
API = HttpApi(base_urls=BaseUrls(production=BASE_URL), error_table=ERROR_TABLE)
