"""Amazon listings search: ``searchListingsItems`` over the sandbox's stored listings.

Listings Items API 2021-08-01, ``GET /listings/2021-08-01/items/{sellerId}``
(https://developer-docs.amazon.com/sp-api/reference/searchlistingsitems; the operation and its
parameters in ../shared/specs/amazon/listingsItems_2021-08-01.json):

- ``marketplaceIds`` required; ``identifiers`` (at most 20, comma-delimited) only together with
  ``identifiersType`` and never with ``variationParentSku``/``packageHierarchySku``;
- ``pageSize`` at most 20 (default 10), ``pageToken`` from the previous page's
  ``pagination.nextToken`` (``previousToken`` back); at most 1000 items can be paged through;
- ``sortBy`` sku/createdDate/lastUpdatedDate (default lastUpdatedDate), ``sortOrder`` ASC/DESC
  (default DESC); created/lastUpdated After/Before and with(out)Status filters;
- answers ``ItemSearchResults`` ``{numberOfResults, pagination, items}``; bad parameters are a
  400 shaped as the official example listingsItems.searchListingsItems.400 (``BAD_REQUEST``,
  "Invalid input"), with the parameter named in ``details``.

Identifier types matched: SKU, ASIN (the listing's), and EAN/GTIN/UPC/ISBN/JAN against the
listing's ``externally_assigned_product_identifier`` attribute; FNSKU and MINSAN match nothing
(the sandbox has no FBA or Italian pharmacy listings). ``packageHierarchySku`` is refused as
not emulated rather than silently ignored. Listings never carry issues here, so
``withIssueSeverity`` matches nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from datetime import datetime
from typing import Any

from feedsync.sandbox.amazon.base import MARKETPLACE_ID, AmazonBase, errors
from feedsync.sandbox.amazon.listings import INCLUDED_DATA, listing_view
from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, route

SEARCH = "/listings/2021-08-01/items/{seller_id}"
MAX_IDENTIFIERS = 20
MAX_PAGE_SIZE = 20
DEFAULT_PAGE_SIZE = 10
MAX_PAGED = 1000  # "The maximum number of items (SKUs) that can be returned and paged through"
IDENTIFIER_TYPES = frozenset({"ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU",
                              "UPC"})
STATUSES = frozenset({"BUYABLE", "DISCOVERABLE"})
SEVERITIES = frozenset({"WARNING", "ERROR"})
SORT_COLUMNS = {"sku": "sku", "createdDate": "created_at", "lastUpdatedDate": "updated_at"}
DATE_FILTERS = {"createdAfter": ("created_at", ">="), "createdBefore": ("created_at", "<="),
                "lastUpdatedAfter": ("updated_at", ">="),
                "lastUpdatedBefore": ("updated_at", "<=")}


def bad_request(details: str) -> SandboxError:
    """The 400 of the official example (code BAD_REQUEST), naming the parameter at fault."""
    return errors(400, "BAD_REQUEST", "Invalid input", details)


def _csv(request: Request, name: str) -> list[str]:
    text = request.arg(name)
    return [part for part in (text or "").split(",") if part] if text is not None else []


def _enums(request: Request, name: str, allowed: frozenset[str]) -> set[str]:
    values = set(_csv(request, name))
    if values - allowed:
        raise bad_request(f"{name}: {sorted(values - allowed)} not among {sorted(allowed)}.")
    return values


def _moment(request: Request, name: str) -> float | None:
    text = request.arg(name)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 date-time, not {text!r}.") from None


def _statuses(row: sqlite3.Row) -> set[str]:
    # The same rule as getListingsItem's summaries (listings.listing_view).
    return {"DISCOVERABLE"} | ({"BUYABLE"} if row["price"] and row["quantity"] else set())


def _identifier_match(row: sqlite3.Row, kind: str, wanted: set[str]) -> bool:
    if kind == "SKU":
        return str(row["sku"]) in wanted
    if kind == "ASIN":
        return str(row["asin"]) in wanted
    attributes = json.loads(row["attributes"])
    for entry in attributes.get("externally_assigned_product_identifier") or ():
        if str(entry.get("type", "")).upper() == kind and str(entry.get("value")) in wanted:
            return True
    return False


def _is_child_of(row: sqlite3.Row, parent: str) -> bool:
    attributes = json.loads(row["attributes"])
    return any(entry.get("parent_sku") == parent
               for entry in attributes.get("child_parent_sku_relationship") or ())


def _token(query_key: str, offset: int) -> str:
    raw = json.dumps({"q": query_key, "o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: str | None, query_key: str) -> int:
    if token is None:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(decoded["o"])
        same = decoded["q"] == query_key
    except (ValueError, KeyError, TypeError):
        raise bad_request(f"pageToken {token!r} is not valid.") from None
    if not same or offset < 0:
        raise bad_request("pageToken belongs to a different search: repeat the same "
                          "parameters with the token.")
    return offset


class SearchRoutes(AmazonBase):
    """``searchListingsItems``."""

    @route("GET", SEARCH, operation="searchListingsItems")
    def search_listings_items(self, ctx: Exchange, request: Request) -> Response:
        """One page of the seller's listings matching the search's filters."""
        self.check_seller(request, request.params["seller_id"])
        marketplaces = _csv(request, "marketplaceIds")
        if not marketplaces or MARKETPLACE_ID not in marketplaces:
            raise bad_request("marketplaceIds must name the seller's marketplace "
                              f"({MARKETPLACE_ID}).")
        included = set(_csv(request, "includedData")) or {"summaries"}
        if not included <= INCLUDED_DATA:
            raise bad_request(f"includedData: {sorted(included - INCLUDED_DATA)} not valid.")
        rows = [row for row in self._matching(ctx, request)][:MAX_PAGED]
        size_text = request.arg("pageSize") or str(DEFAULT_PAGE_SIZE)
        if not size_text.isdigit() or not 1 <= int(size_text) <= MAX_PAGE_SIZE:
            raise bad_request(f"pageSize must be 1 to {MAX_PAGE_SIZE}, not {size_text!r}.")
        size = int(size_text)
        query_key = hashlib.sha1(json.dumps(sorted(
            (k, v) for k, v in request.query.items() if k != "pageToken")).encode()
        ).hexdigest()[:16]
        offset = _offset(request.arg("pageToken"), query_key)
        page = rows[offset:offset + size]
        pagination: dict[str, str] = {}
        if offset + size < len(rows):
            pagination["nextToken"] = _token(query_key, offset + size)
        if offset > 0:
            pagination["previousToken"] = _token(query_key, max(0, offset - size))
        body: dict[str, Any] = {"numberOfResults": len(rows),
                                "items": [listing_view(row, included) for row in page]}
        if pagination:
            body["pagination"] = pagination
        return Response.json(body)

    def _matching(self, ctx: Exchange, request: Request) -> list[sqlite3.Row]:
        """The listings the filters select, in the requested order."""
        identifiers = _csv(request, "identifiers")
        kind = request.arg("identifiersType")
        parent = request.arg("variationParentSku")
        if request.arg("packageHierarchySku") is not None:
            raise bad_request("packageHierarchySku is not emulated by the feedsync sandbox.")
        if (request.arg("identifiers") is not None) != (kind is not None):
            raise bad_request("identifiers and identifiersType must be given together.")
        if kind is not None and kind not in IDENTIFIER_TYPES:
            raise bad_request(f"identifiersType {kind!r} is not one of "
                              f"{sorted(IDENTIFIER_TYPES)}.")
        if len(identifiers) > MAX_IDENTIFIERS:
            raise bad_request(f"identifiers: at most {MAX_IDENTIFIERS}, not "
                              f"{len(identifiers)}.")
        if identifiers and parent is not None:
            raise bad_request("identifiers cannot be combined with variationParentSku.")
        with_status = _enums(request, "withStatus", STATUSES)
        without_status = _enums(request, "withoutStatus", STATUSES)
        severities = _enums(request, "withIssueSeverity", SEVERITIES)
        sort_by = request.arg("sortBy") or "lastUpdatedDate"
        order = request.arg("sortOrder") or "DESC"
        if sort_by not in SORT_COLUMNS or order not in ("ASC", "DESC"):
            raise bad_request(f"sortBy {sort_by!r} / sortOrder {order!r} not valid.")
        where, args = [], []
        for name, (column, operator) in DATE_FILTERS.items():
            moment = _moment(request, name)
            if moment is not None:
                where.append(f"{column} {operator} ?")
                args.append(moment)
        sql = "SELECT * FROM amazon_listings" + (
            f" WHERE {' AND '.join(where)}" if where else "") + (
            f" ORDER BY {SORT_COLUMNS[sort_by]} {order}, sku {order}")
        found = []
        wanted = set(identifiers)
        for row in ctx.db.execute(sql, args):
            if kind is not None and not _identifier_match(row, kind, wanted):
                continue
            if parent is not None and not _is_child_of(row, parent):
                continue
            statuses = _statuses(row)
            if with_status and not with_status & statuses:
                continue
            if without_status & statuses:
                continue
            if severities:  # sandbox listings carry no issues
                continue
            found.append(row)
        return found
