"""A toy marketplace: the minimal, complete example of docs/sandbox.md.

It is not one of the six channels (the registry never loads it); the framework's own tests run
it, and it shows every part of the module interface in one page: a client-credentials token
endpoint, a validated listing PUT, an asynchronous batch feed with a status route, a rate limit
with its headers, an error shape, buyers' orders and a cancellation.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from feedsync.sandbox import (
    BuyerOrder,
    Exchange,
    Job,
    Marketplace,
    Offer,
    RateLimit,
    Request,
    Response,
    SandboxError,
    route,
)

CLIENT_ID, CLIENT_SECRET = "example-client", "example-secret"
MAX_TITLE = 150
MAX_BATCH = 100


class ExampleMarket(Marketplace):
    """Items by SKU, batch feeds processed after two polls, orders with cancellation."""

    name = "example"
    sells = True
    schema = """
    CREATE TABLE IF NOT EXISTS example_items (
        sku TEXT PRIMARY KEY, title TEXT NOT NULL, price TEXT NOT NULL, quantity INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS example_orders (
        id TEXT PRIMARY KEY, status TEXT NOT NULL, buyer TEXT NOT NULL, created_at REAL NOT NULL);
    CREATE TABLE IF NOT EXISTS example_order_lines (
        order_id TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL, price TEXT NOT NULL);
    """
    limits: ClassVar[dict[str, RateLimit]] = {
        "putItem": RateLimit(rate_per_second=5, burst=10, doc="https://example.invalid")}

    # --- error shapes ---------------------------------------------------------------------------

    def render_error(self, error: SandboxError, request: Request) -> Response:
        return Response.json({"errors": [{"code": error.code, "message": error.message,
                                          **error.details}]}, status=error.status)

    def rate_headers(self, operation: str, limit: RateLimit) -> dict[str, str]:
        return {"X-RateLimit-Limit": f"{limit.rate_per_second:g}"}

    def rate_limited(self, request: Request, operation: str, limit: RateLimit,
                     retry_after: float) -> Response:
        response = self.render_error(SandboxError(429, "TOO_MANY_REQUESTS", "slow down"),
                                     request)
        response.headers["Retry-After"] = str(max(1, round(retry_after)))
        return response

    # --- token endpoint -------------------------------------------------------------------------

    @route("POST", "/oauth/token", operation="getToken", token=True)
    def token(self, ctx: Exchange, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            raise SandboxError(400, "unsupported_grant_type", "use client_credentials")
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            raise SandboxError(401, "invalid_client", "client authentication failed")
        issued = ctx.tokens.issue(CLIENT_ID, ttl_s=900, prefix="ex-")
        return Response.json({"access_token": issued.token, "token_type": "bearer",
                              "expires_in": issued.expires_in})

    # --- listings -------------------------------------------------------------------------------

    @route("PUT", "/items/{sku}", operation="putItem")
    def put_item(self, ctx: Exchange, request: Request) -> Response:
        item = _valid_item(request.params["sku"], request.json())
        _store(ctx, item)
        return Response.json({"sku": item["sku"], "status": "ACTIVE"})

    @route("GET", "/items/{sku}", operation="getItem")
    def get_item(self, ctx: Exchange, request: Request) -> Response:
        row = ctx.db.execute("SELECT * FROM example_items WHERE sku = ?",
                             (request.params["sku"],)).fetchone()
        if row is None:
            raise SandboxError(404, "NOT_FOUND", f"no item {request.params['sku']}")
        return Response.json(dict(row))

    @route("POST", "/feeds", operation="createFeed")
    def create_feed(self, ctx: Exchange, request: Request) -> Response:
        body = request.json()
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise SandboxError(400, "INVALID_FEED", "items must be a non-empty list")
        if len(items) > MAX_BATCH:
            raise SandboxError(400, "INVALID_FEED", f"at most {MAX_BATCH} items per feed")
        job = ctx.jobs.submit("feed", items, polls=2, owner=request.principal)
        return Response.json({"feedId": job.id}, status=202)

    @route("GET", "/feeds/{feed_id}", operation="getFeed")
    def get_feed(self, ctx: Exchange, request: Request) -> Response:
        job = ctx.jobs.advance(request.params["feed_id"])
        if job is None:
            raise SandboxError(404, "NOT_FOUND", "no such feed")
        return Response.json({"feedId": job.id, "status": job.status, "results": job.result})

    def process_job(self, ctx: Exchange, job: Job) -> Any:
        results = []
        for raw in job.payload:
            try:
                item = _valid_item(str(raw.get("sku", "")), raw)
            except SandboxError as refused:
                results.append({"sku": raw.get("sku"), "status": "ERROR",
                                "code": refused.code, "message": refused.message})
                continue
            _store(ctx, item)
            results.append({"sku": item["sku"], "status": "SUCCESS"})
        return results

    # --- orders ---------------------------------------------------------------------------------

    @route("GET", "/orders", operation="listOrders")
    def list_orders(self, ctx: Exchange, request: Request) -> Response:
        since = float(request.arg("since") or 0)
        orders = []
        for row in ctx.db.execute("SELECT * FROM example_orders WHERE created_at >= ? "
                                  "ORDER BY id", (since,)):
            lines = ctx.db.execute("SELECT sku, quantity, price FROM example_order_lines "
                                   "WHERE order_id = ?", (row["id"],)).fetchall()
            orders.append({**dict(row), "lines": [dict(line) for line in lines]})
        return Response.json({"orders": orders})

    def offers(self, ctx: Exchange) -> Iterator[Offer]:
        for row in ctx.db.execute("SELECT * FROM example_items WHERE quantity > 0"):
            yield Offer(row["sku"], row["quantity"], Decimal(row["price"]), "USD")

    def place_order(self, ctx: Exchange, order: BuyerOrder) -> str:
        order_id = f"EX-{ctx.next_id('order'):06d}"
        ctx.db.execute("INSERT INTO example_orders VALUES (?, 'PAID', ?, ?)",
                       (order_id, order.buyer_name, ctx.now))
        for line in order.lines:
            ctx.db.execute("INSERT INTO example_order_lines VALUES (?, ?, ?, ?)",
                           (order_id, line.sku, line.quantity, str(line.unit_price)))
            ctx.db.execute("UPDATE example_items SET quantity = quantity - ? WHERE sku = ?",
                           (line.quantity, line.sku))
        return order_id

    def cancel_order(self, ctx: Exchange, order_id: str) -> bool:
        cursor = ctx.db.execute("UPDATE example_orders SET status = 'CANCELLED' "
                                "WHERE id = ? AND status = 'PAID'", (order_id,))
        return cursor.rowcount == 1

    # --- demo workspace -------------------------------------------------------------------------

    def secrets(self) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def _valid_item(sku: str, body: Any) -> dict[str, Any]:
    """The marketplace's rules: a title of at most 150 characters, a positive price, a
    non-negative whole quantity — anything else is refused naming the field."""
    if not isinstance(body, dict):
        raise SandboxError(400, "INVALID_ITEM", "the item must be a JSON object")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise SandboxError(400, "MISSING_FIELD", "title is required", field="title")
    if len(title) > MAX_TITLE:
        raise SandboxError(400, "INVALID_VALUE", f"title longer than {MAX_TITLE}", field="title")
    try:
        price = Decimal(str(body.get("price")))
    except InvalidOperation:
        raise SandboxError(400, "INVALID_VALUE", "price is not a number", field="price") from None
    if not price.is_finite() or price <= 0:
        raise SandboxError(400, "INVALID_VALUE", "price must be positive", field="price")
    quantity = body.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise SandboxError(400, "INVALID_VALUE", "quantity must be a whole number >= 0",
                           field="quantity")
    return {"sku": sku, "title": title, "price": str(price), "quantity": quantity}


def _store(ctx: Exchange, item: dict[str, Any]) -> None:
    ctx.db.execute("INSERT INTO example_items (sku, title, price, quantity) VALUES "
                   "(:sku, :title, :price, :quantity) ON CONFLICT (sku) DO UPDATE SET "
                   "title = excluded.title, price = excluded.price, quantity = excluded.quantity",
                   item)


MARKETPLACE = ExampleMarket
