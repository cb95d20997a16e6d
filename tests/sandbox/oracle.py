"""The spec oracle: every request the sandbox receives is checked against the official contract
in ../shared/specs (and the sandbox's JSON answers against the documented response schemas).

Installed as a sandbox observer (``running_sandbox(observers=[SpecOracle(specs_dir)])``); a
problem is an AssertionError the server records in ``app.violations``, and the test fails on
any — so a request our adapter sends that the official schema rejects fails even when the
sandbox accepted it. Sources:

- Amazon: the Swagger 2.0 models feeds_2021-06-30.json, listingsItems_2021-08-01.json,
  orders_2026-01-01.json, ordersV0.json; the uploaded JSON_LISTINGS_FEED document against
  listings-feed-schema-v2.json (+ the message schema); LWA's form per authorization.md.
- Google: the Merchant API products_v1 discovery document (via the project's google oracle).
- Meta: the Graph API codegen specs ProductCatalog.json / ProductItem.json /
  CheckBatchRequestStatus.json (via the project's Meta oracle); the products edge's query
  parameters and answer fields directly from ProductCatalog.json / ProductItem.json.
- eBay: the Sell Inventory / Fulfillment OpenAPI 3 files (via tests/adapters/ebay/ebay_oas.py):
  JSON bodies and query parameters of every operation the OAS declares.
- Etsy: the Open API v3 file (via tests/adapters/etsy/etsy_oracle.py): JSON and form bodies,
  query parameters.
- Walmart: not checked here yet (its feeds are multipart uploads; its own tests check them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from feedsync.sandbox import Request, Response
from feedsync.sandbox.module import Route
from tests.adapters.amazon.amazon_swagger import body_validator, check_query, operation
from tests.adapters.ebay import ebay_oas
from tests.adapters.etsy.etsy_oracle import EtsyOracle
from tests.adapters.etsy.etsy_oracle import load_spec as load_etsy
from tests.adapters.facebook.facebook_oracle import MetaSpecs
from tests.adapters.google.google_oracle import errors as google_errors
from tests.adapters.google.google_oracle import load_discovery
from tests.adapters.google.google_oracle import validator as google_validator

MESSAGE_URI = "urn:amazon:listings-feed-message-schema-v2"
# operation → (Swagger model, request body definition or None)
AMAZON: dict[str, tuple[str, str | None]] = {
    "createFeedDocument": ("feeds_2021-06-30.json", "CreateFeedDocumentSpecification"),
    "createFeed": ("feeds_2021-06-30.json", "CreateFeedSpecification"),
    "getFeed": ("feeds_2021-06-30.json", None),
    "getFeeds": ("feeds_2021-06-30.json", None),
    "getFeedDocument": ("feeds_2021-06-30.json", None),
    "putListingsItem": ("listingsItems_2021-08-01.json", "ListingsItemPutRequest"),
    "patchListingsItem": ("listingsItems_2021-08-01.json", "ListingsItemPatchRequest"),
    "getListingsItem": ("listingsItems_2021-08-01.json", None),
    "deleteListingsItem": ("listingsItems_2021-08-01.json", None),
    "searchListingsItems": ("listingsItems_2021-08-01.json", None),
    "searchOrders": ("orders_2026-01-01.json", None),
    "getOrder": ("orders_2026-01-01.json", None),
    "confirmShipment": ("ordersV0.json", "ConfirmShipmentRequest"),
}
LWA_FORM = {"grant_type", "refresh_token", "client_id", "client_secret"}


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


class SpecOracle:
    """Callable observer: (channel, route, request, response) → raises on a contract breach."""

    def __init__(self, specs_dir: Path) -> None:
        amazon = specs_dir / "amazon"
        self.models = {name: _load(amazon / name) for name, _ in AMAZON.values()}
        message = _load(amazon / "listings-feed-message-schema-v2.json")
        registry: Registry[Any] = Registry().with_resource(
            MESSAGE_URI, Resource.from_contents(message, default_specification=DRAFT7))
        self.feed = Draft7Validator(_load(amazon / "listings-feed-schema-v2.json"),
                                    registry=registry)
        discovery = load_discovery(specs_dir)
        self.product_input = google_validator(discovery, "ProductInput")
        self.product = google_validator(discovery, "Product", request=False)
        self.meta = MetaSpecs(specs_dir)
        catalog = _load(specs_dir / "meta" / "api_specs" / "ProductCatalog.json")
        edge = next(api for api in catalog["apis"]
                    if api["method"] == "GET" and api["endpoint"] == "products")
        self.products_params = {p["name"] for p in edge["params"]} | {
            "fields", "limit", "after", "before", "access_token"}
        self.product_item_fields = {f["name"] for f in _load(
            specs_dir / "meta" / "api_specs" / "ProductItem.json")["fields"]}
        self.etsy = EtsyOracle(load_etsy(str(specs_dir)))
        self.checked: dict[str, int] = {}

    def __call__(self, channel: str, route: Route, request: Request,
                 response: Response) -> None:
        check = getattr(self, f"_{channel}", None)
        if check is None:
            return  # a marketplace this oracle does not know yet (its own tests cover it)
        self.checked[channel] = self.checked.get(channel, 0) + 1
        problems = check(route.operation, request, response)
        if problems:
            raise AssertionError("; ".join(problems))

    # --- Amazon ---------------------------------------------------------------------------------

    def _amazon(self, op: str, request: Request, response: Response) -> list[str]:
        if op == "lwaToken":
            missing = LWA_FORM - set(request.form())
            return [f"LWA token request lacks {sorted(missing)}"] if missing else []
        if op == "uploadFeedDocument":
            return [f"feed document: {e.message}" for e in
                    self.feed.iter_errors(json.loads(request.body))]
        if op not in AMAZON:
            return []
        name, definition = AMAZON[op]
        model = self.models[name]
        problems = []
        try:
            check_query(model, op, "?" + urlencode(
                {k: v[0] for k, v in request.query.items()}))
        except AssertionError as exc:
            problems.append(str(exc))
        if definition is not None:
            problems += [f"{op} body: {e.message}" for e in
                         body_validator(model, definition).iter_errors(request.json())]
        problems += self._amazon_answer(model, op, response)
        return problems

    def _amazon_answer(self, model: dict[str, Any], op: str, response: Response) -> list[str]:
        _, _, spec = operation(model, op)
        schema = (spec["responses"].get(str(response.status)) or {}).get("schema")
        if schema is None or not response.body:
            return []
        validator = body_validator(model, schema["$ref"].rsplit("/", 1)[1])
        return [f"{op} answer {response.status}: {e.message}"
                for e in validator.iter_errors(json.loads(response.body))]

    # --- Google ---------------------------------------------------------------------------------

    def _google(self, op: str, request: Request, response: Response) -> list[str]:
        problems = []
        if op in ("productInputs.insert", "productInputs.delete") and not request.arg(
                "dataSource"):
            problems.append(f"{op}: the required dataSource parameter is missing")
        if op == "productInputs.insert":
            problems += [f"ProductInput {p}" for p in
                         google_errors(self.product_input, request.json())]
        if op == "products.list":
            size = request.arg("pageSize")
            if size is not None and not 1 <= int(size) <= 1000:
                problems.append(f"products.list pageSize {size} outside 1..1000")
        if op == "products.get" and response.status == 200:
            problems += [f"Product answer {p}" for p in
                         google_errors(self.product, json.loads(response.body))]
        return problems

    # --- Meta -----------------------------------------------------------------------------------

    def _facebook(self, op: str, request: Request, response: Response) -> list[str]:
        if op == "items_batch":
            return [f"items_batch {p}" for p in self.meta.problems(request.json())]
        if op == "check_batch_request_status":
            problems = [] if request.arg("handle") else ["handle is required"]
            if response.status == 200:
                for entry in json.loads(response.body)["data"]:
                    unknown = set(entry) - self.meta.status_fields
                    if unknown:
                        problems.append(f"batch status answer has undocumented {unknown}")
            return problems
        if op == "catalog_products":
            return self._meta_products(request, response)
        return []

    def _meta_products(self, request: Request, response: Response) -> list[str]:
        # ProductCatalog.json's products edge params, plus Graph's own (fields, paging, token:
        # https://developers.facebook.com/docs/graph-api/results)
        problems = [f"products: query parameter {k!r} is not declared"
                    for k in request.query if k not in self.products_params]
        if response.status == 200:
            for item in json.loads(response.body)["data"]:
                unknown = set(item) - self.product_item_fields
                if unknown:
                    problems.append(f"products answer has non-ProductItem fields {unknown}")
        return problems

    # --- eBay and Etsy (their own oracles) --------------------------------------------------

    def _ebay(self, op: str, request: Request, response: Response) -> list[str]:
        for api in ("inventory", "fulfillment"):
            try:
                _, _, spec = ebay_oas.operation(api, op)
            except KeyError:
                continue
            problems = []
            declared = {p["name"] for p in spec.get("parameters", []) if p.get("in") == "query"}
            problems += [f"{op}: query parameter {k!r} is not declared"
                         for k in request.query if k not in declared]
            if request.body and "requestBody" in spec:
                validator = ebay_oas.request_validator(api, op)
                problems += [f"{op} body {'/'.join(map(str, e.absolute_path))}: {e.message}"
                             for e in validator.iter_errors(request.json())]
            return problems
        return []  # the token endpoint and others the OAS files do not describe

    def _etsy(self, op: str, request: Request, response: Response) -> list[str]:
        try:
            self.etsy.operation(op)
        except KeyError:
            return []
        kind = (request.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            self.etsy.check_query(op, {k: v[0] for k, v in request.query.items()})
            if kind == "application/json":
                self.etsy.check_json_body(op, request.json())
            elif kind == "application/x-www-form-urlencoded" and request.body:
                self.etsy.check_form(op, request.body)
        except AssertionError as exc:
            return [str(exc)]
        return []
