"""Meta catalog (Graph API), emulated: system-user token check, items_batch, batch status.

- ``POST /{version}/{catalog_id}/items_batch`` (https://developers.facebook.com/docs/marketing-
  api/reference/product-catalog/items_batch/): ``item_type`` PRODUCT_ITEM, up to 5,000
  ``requests`` of ``{"method": CREATE|UPDATE|DELETE, "data": {...}}`` with feed field names,
  payload at most 28 MB; answers ``{"handles": [...], "validation_status": [...]}`` and
  processes the batch later.
- ``GET /{version}/{catalog_id}/products`` (fields, filter, cursor paging): the catalog read
  back as ProductItems — see ``feedsync.sandbox.facebook_products``.
- ``GET /{version}/{catalog_id}/check_batch_request_status?handle=…`` → ``{"data": [{"handle",
  "status", "errors", "errors_total_count", "warnings", "warnings_total_count",
  "ids_of_invalid_requests"}]}``; ``in_progress`` for a few polls, then ``finished``.
- Product rules: https://www.facebook.com/business/help/120325381656392 (required fields;
  title ≤ 200, description ≤ 9,999 characters; ``price`` as "9.99 USD"; enumerations).
- Tokens: a system-user access token (no expiry) in ``Authorization: Bearer`` or the
  ``access_token`` parameter, checked on every call and by ``GET /debug_token``; a bad one is
  Graph error 190 (``OAuthException``).
- Errors: https://developers.facebook.com/docs/graph-api/guides/error-handling; throttling:
  code 80014 with ``X-Business-Use-Case-Usage``
  (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from typing import Any, ClassVar

from feedsync.sandbox import facebook_products as products
from feedsync.sandbox.jobs import DONE, Job
from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, Marketplace, RateLimit, route

SYSTEM_USER_TOKEN = "EAAGsandboxSystemUserTokenFeedsync0000000000000000"
SYSTEM_USER_ID = "100000000000001"
BUSINESS_ID = "200000000000001"
CATALOG_ID = "300000000000001"
MAX_REQUESTS = 5000
MAX_PAYLOAD = 28_000_000
MAX_RETAILER_ID = 100
MAX_TITLE = 200
MAX_DESCRIPTION = 9999
BATCH_POLLS = 2
BATCH_SETTLE_S = 60.0
REQUIRED = ("title", "description", "availability", "condition", "price", "link", "image_link")
AVAILABILITY = frozenset({"in stock", "out of stock", "preorder", "available for order",
                          "discontinued", "pending", "mark_as_sold"})
CONDITION = frozenset({"new", "refurbished", "used", "cpo", "open_box_new", "used_fair",
                       "used_good", "used_like_new"})
PRICE = re.compile(r"^\d+(\.\d{1,2})? [A-Z]{3}$")
INT_FIELDS = ("inventory", "quantity_to_sell_on_facebook")
RATE_DOC = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"


def graph_error(code: int, message: str, *, status: int = 400, kind: str = "OAuthException",
                transient: bool = False, subcode: int | None = None) -> SandboxError:
    """A Graph API error (rendered as ``{"error": {message, type, code, fbtrace_id}}``)."""
    return SandboxError(status, str(code), message, type=kind, is_transient=transient,
                        error_subcode=subcode)


class MetaCatalog(Marketplace):
    """One business with one product catalog, managed by one system user."""

    name = "facebook"
    schema = """
    CREATE TABLE IF NOT EXISTS facebook_items (
        retailer_id TEXT PRIMARY KEY, data TEXT NOT NULL, quantity INTEGER,
        updated_at REAL NOT NULL);
    """
    limits: ClassVar[dict[str, RateLimit]] = {
        # "up to 100 calls per hour" per catalog (Catalog Batch business use case).
        "items_batch": RateLimit(100 / 3600, 100, RATE_DOC),
        "check_batch_request_status": RateLimit(10.0, 50, RATE_DOC),
    }

    def seed(self, ctx: Exchange) -> None:
        ctx.tokens.register(SYSTEM_USER_TOKEN, SYSTEM_USER_ID, 100 * 365 * 86400,
                            scope="catalog_management,business_management")

    # --- auth and shapes --------------------------------------------------------------------

    def access_token(self, request: Request) -> str | None:
        return request.bearer() or request.arg("access_token")

    def auth_error(self, request: Request, reason: str) -> Response:
        if reason == "missing":
            error = graph_error(2500, "An active access token must be used to query "
                                "information about the current user.")
        elif reason == "expired":
            error = graph_error(190, "Error validating access token: Session has expired.",
                                subcode=463)
        else:
            error = graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        return self.render_error(error, request)

    def render_error(self, error: SandboxError, request: Request) -> Response:
        body: dict[str, Any] = {"message": error.message,
                                "type": error.details.get("type", "OAuthException"),
                                "code": int(error.code) if error.code.isdigit() else 100,
                                "fbtrace_id": secrets.token_urlsafe(8)}
        if error.details.get("error_subcode"):
            body["error_subcode"] = error.details["error_subcode"]
        if error.details.get("is_transient"):
            body["is_transient"] = True
        return Response.json({"error": body}, status=error.status)

    def not_found(self, request: Request) -> Response:
        return self.render_error(graph_error(
            2500, f"Unknown path components: {request.path}"), request)

    def server_error(self, request: Request, status: int) -> Response:
        code, message = (2, "Service temporarily unavailable") if status == 503 else (
            1, "An unknown error occurred")
        return self.render_error(graph_error(code, message, status=status, transient=True),
                                 request)

    def rate_limited(self, request: Request, operation: str, limit: RateLimit,
                     retry_after: float) -> Response:
        response = self.render_error(graph_error(
            80014, "(#80014) There have been too many calls for this product catalog. Wait a "
            "bit and try again.", transient=True), request)
        minutes = max(1, round(retry_after / 60))
        response.headers["X-Business-Use-Case-Usage"] = json.dumps({BUSINESS_ID: [{
            "type": "catalog_batch", "call_count": 100, "total_cputime": 1, "total_time": 1,
            "estimated_time_to_regain_access": minutes}]})
        return response

    def _catalog(self, request: Request) -> None:
        if not re.fullmatch(r"v\d+\.\d+", request.params["version"]):
            raise graph_error(2500, f"Unknown path components: /{request.params['version']}")
        if request.params["catalog_id"] != CATALOG_ID:
            raise graph_error(100, f"Unsupported post request. Object with ID "
                              f"'{request.params['catalog_id']}' does not exist, cannot be "
                              "loaded due to missing permissions, or does not support this "
                              "operation.", kind="GraphMethodException")

    # --- token check ----------------------------------------------------------------------------

    @route("GET", "/debug_token", operation="debug_token")
    def debug_token(self, ctx: Exchange, request: Request) -> Response:
        """What a token is: its app, user, scopes and expiry (0 = never)."""
        subject, refused = ctx.tokens.check(request.arg("input_token"))
        data: dict[str, Any] = {"is_valid": refused is None, "type": "SYSTEM_USER"}
        if subject is not None:
            data.update({"user_id": subject, "expires_at": 0, "data_access_expires_at": 0,
                         "scopes": ["catalog_management", "business_management"]})
        return Response.json({"data": data})

    @route("GET", "/{version}/me", operation="me")
    def me(self, ctx: Exchange, request: Request) -> Response:
        """The system user behind the token."""
        return Response.json({"id": request.principal, "name": "feedsync sandbox system user"})

    # --- items_batch ----------------------------------------------------------------------------

    @route("POST", "/{version}/{catalog_id}/items_batch", operation="items_batch")
    def items_batch(self, ctx: Exchange, request: Request) -> Response:
        """Accept a batch: malformed requests are reported at once, the rest queued."""
        self._catalog(request)
        if len(request.body) > MAX_PAYLOAD:
            raise graph_error(100, "(#100) The request payload exceeds 28 MB.")
        params = _params(request)
        if params.get("item_type") != "PRODUCT_ITEM":
            raise graph_error(100, "(#100) The parameter item_type is required and must be "
                              "PRODUCT_ITEM for a product catalog.")
        batch = params.get("requests")
        if isinstance(batch, str):
            try:
                batch = json.loads(batch)
            except json.JSONDecodeError:
                batch = None
        if not isinstance(batch, list) or not 1 <= len(batch) <= MAX_REQUESTS:
            raise graph_error(100, f"(#100) The parameter requests must be an array of 1 to "
                              f"{MAX_REQUESTS} requests.")
        upsert = params.get("allow_upsert", True) not in (False, "false", "0")
        accepted, status = [], []
        for entry in batch:
            problem = _malformed(entry)
            if problem:
                rid = entry.get("data", {}).get("id") if isinstance(entry, dict) and isinstance(
                    entry.get("data"), dict) else None
                status.append({"retailer_id": rid, "errors": [{"message": problem}],
                               "warnings": []})
            else:
                accepted.append(entry)
        if not accepted:
            return Response.json({"handles": [], "validation_status": status})
        handle = secrets.token_urlsafe(24)
        ctx.jobs.submit("batch", {"requests": accepted, "allow_upsert": upsert},
                        polls=BATCH_POLLS, owner=request.principal, job_id=handle,
                        settle_s=BATCH_SETTLE_S)
        return Response.json({"handles": [handle], "validation_status": status})

    @route("GET", "/{version}/{catalog_id}/check_batch_request_status",
           operation="check_batch_request_status")
    def batch_status(self, ctx: Exchange, request: Request) -> Response:
        """The batch's status; each call is a poll that moves its processing on."""
        self._catalog(request)
        handle = request.arg("handle")
        if not handle:
            raise graph_error(100, "(#100) The parameter handle is required")
        job = ctx.jobs.advance(handle)
        if job is None or job.kind != "batch":
            raise graph_error(100, f"(#100) Invalid handle: {handle}")
        entry: dict[str, Any] = {"handle": handle, "status": "in_progress", "errors": [],
                                 "errors_total_count": 0, "warnings": [],
                                 "warnings_total_count": 0}
        if job.status == DONE:
            errors = job.result["errors"]
            entry.update(status="finished", errors=errors, errors_total_count=len(errors))
            if request.arg("load_ids_of_invalid_requests") in ("true", "1"):
                entry["ids_of_invalid_requests"] = sorted({e["id"] for e in errors})
        return Response.json({"data": [entry]})

    # --- products edge (read back) ---------------------------------------------------------

    @route("GET", "/{version}/{catalog_id}/products", operation="catalog_products")
    def products(self, ctx: Exchange, request: Request) -> Response:
        """One page of the catalog's items as ProductItems (see facebook_products)."""
        self._catalog(request)
        try:
            fields = products.requested_fields(request.arg("fields"))
            rule = products.parse_filter(request.arg("filter"))
            after, before = request.arg("after"), request.arg("before")
            start = products.position(after) if after else None
            end = products.position(before) if before else None
        except products.FilterError as exc:
            raise graph_error(100, str(exc)) from None
        limit_text = request.arg("limit") or str(products.DEFAULT_LIMIT)
        if not limit_text.isdigit() or int(limit_text) < 1:
            raise graph_error(100, f"(#100) param limit must be a positive integer, not "
                              f"{limit_text!r}")
        limit = int(limit_text)
        selected = []
        for row in ctx.db.execute("SELECT * FROM facebook_items ORDER BY retailer_id"):
            data = json.loads(row["data"])
            item = products.product_item(row["retailer_id"], data, row["quantity"])
            if products.matches(rule, {**data, **item}):
                selected.append(item)
        ids = [item["retailer_id"] for item in selected]
        if end is not None:  # the page before a cursor: the last `limit` items before it
            stop = sum(1 for rid in ids if rid < end)
            first = max(0, stop - limit)
        else:
            first = sum(1 for rid in ids if start is not None and rid <= start)
            stop = first + limit
        page = selected[first:stop]
        body: dict[str, Any] = {"data": [{f: item[f] for f in fields if f in item}
                                         for item in page]}
        if page:
            query = {k: v[0] for k, v in request.query.items()}
            base = ctx.url(request.path)
            cursors = {"before": products.cursor(page[0]["retailer_id"]),
                       "after": products.cursor(page[-1]["retailer_id"])}
            paging: dict[str, Any] = {"cursors": cursors}
            if stop < len(selected):
                paging["next"] = products.page_link(base, query, after=cursors["after"])
            if first > 0:
                paging["previous"] = products.page_link(base, query, before=cursors["before"])
            body["paging"] = paging
        return Response.json(body)

    def process_job(self, ctx: Exchange, job: Job) -> Any:
        """Apply the batch in order; each refused request is one error naming its id."""
        errors = []
        for line, request in enumerate(job.payload["requests"], start=1):
            data, method = request["data"], request["method"]
            rid = data["id"]
            row = ctx.db.execute("SELECT data FROM facebook_items WHERE retailer_id = ?",
                                 (rid,)).fetchone()
            if method == "DELETE":
                ctx.db.execute("DELETE FROM facebook_items WHERE retailer_id = ?", (rid,))
                continue
            problem: str | None
            if method == "CREATE" and row is not None:
                problem = "An item with this retailer_id already exists in the catalog."
            elif method == "UPDATE" and row is None and not job.payload["allow_upsert"]:
                problem = "The item to update does not exist (set allow_upsert)."
            else:
                item = {**(json.loads(row["data"]) if row and method == "UPDATE" else {}),
                        **data}
                item = {k: v for k, v in item.items() if v != ""}  # "" clears a field
                problem = _content_problem(item)
                if problem is None:
                    quantity = item.get("quantity_to_sell_on_facebook", item.get("inventory"))
                    ctx.db.execute("INSERT OR REPLACE INTO facebook_items VALUES (?, ?, ?, ?)",
                                   (rid, json.dumps(item), quantity, ctx.now))
                    continue
            errors.append({"line": line, "id": rid, "message": problem})
        return {"errors": errors}

    def quantities(self, ctx: Exchange, skus: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(skus), 500):
            chunk = list(skus[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for row in ctx.db.execute(f"SELECT retailer_id, quantity FROM facebook_items WHERE "
                                      f"retailer_id IN ({marks}) AND quantity IS NOT NULL", chunk):
                found[row["retailer_id"]] = row["quantity"]
        return found

    # --- demo workspace -------------------------------------------------------------------------

    def workspace_settings(self, base_url: str) -> dict[str, Any]:
        return {"enabled": True, "delivery": "api", "environment": base_url,
                "catalog_id": CATALOG_ID}

    def secrets(self) -> dict[str, str]:
        return {"access_token": SYSTEM_USER_TOKEN}


def _params(request: Request) -> dict[str, Any]:
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
    if content_type == "application/json":
        body = request.json()
        if not isinstance(body, dict):
            raise graph_error(100, "(#100) The request body must be a JSON object.")
        return body
    return {**{k: v[0] for k, v in request.query.items()}, **request.form()}


def _malformed(entry: Any) -> str | None:
    if not isinstance(entry, dict) or entry.get("method") not in ("CREATE", "UPDATE", "DELETE"):
        return "Each request needs a method of CREATE, UPDATE or DELETE."
    data = entry.get("data")
    if not isinstance(data, dict):
        return "Each request needs a data object."
    rid = data.get("id")
    if not isinstance(rid, str) or not rid.strip() or len(rid) > MAX_RETAILER_ID:
        return f"data.id (the retailer id) is required, at most {MAX_RETAILER_ID} characters."
    if entry["method"] == "DELETE" and set(data) != {"id"}:
        return "A DELETE request carries only data.id."
    return None


def _content_problem(item: dict[str, Any]) -> str | None:
    missing = [name for name in REQUIRED if not item.get(name)]
    if missing:
        return f"Required field(s) missing: {', '.join(missing)}."
    if not (item.get("brand") or item.get("gtin") or item.get("mpn")):
        return "A brand, gtin or mpn is required."
    if len(str(item["title"])) > MAX_TITLE:
        return f"title is longer than {MAX_TITLE} characters."
    if len(str(item["description"])) > MAX_DESCRIPTION:
        return f"description is longer than {MAX_DESCRIPTION} characters."
    if item["availability"] not in AVAILABILITY:
        return f"availability {item['availability']!r} is not a valid value."
    if item["condition"] not in CONDITION:
        return f"condition {item['condition']!r} is not a valid value."
    for name in ("price", "sale_price"):
        if name in item and not PRICE.fullmatch(str(item[name])):
            return f"{name} {item[name]!r} must be an amount and an ISO 4217 code (9.99 USD)."
    for name in ("link", "image_link"):
        if not re.match(r"^https?://", str(item[name])):
            return f"{name} must be an http(s) URL."
    for name in INT_FIELDS:
        value = item.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 0):
            return f"{name} must be a whole number of at least 0."
    return None


MARKETPLACE = MetaCatalog
