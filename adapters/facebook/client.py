"""The two Graph API calls of the catalog batch API, over feedsync's HttpClient.

- ``POST /{version}/{catalog_id}/items_batch`` → ``{"handles": [...], "validation_status":
  [{"retailer_id", "errors": [{"message"}], "warnings": [...]}]}``
- ``GET /{version}/{catalog_id}/check_batch_request_status?handle=…`` → ``{"data": [{"handle",
  "status", "errors", "errors_total_count", "warnings", "warnings_total_count",
  "ids_of_invalid_requests"}]}`` (the edge is a collection with one element).

(https://developers.facebook.com/docs/marketing-api/reference/product-catalog/items_batch/ and
.../check_batch_request_status/.)
"""

from __future__ import annotations

from typing import Any

from feedsync.errors import ChannelError
from feedsync.http import HttpClient, json_body

from .limits import BATCH_STATUS, GRAPH_URL, ITEMS_BATCH

__all__ = ["GRAPH_URL", "CatalogClient"]


class CatalogClient:
    """Batch calls against one product catalog."""

    def __init__(self, http: HttpClient, catalog_id: str, graph_version: str) -> None:
        self.http = http
        self.catalog_id = catalog_id
        self.graph_version = graph_version

    def _path(self, edge: str) -> str:
        return f"{self.graph_version}/{self.catalog_id}/{edge}"

    def items_batch(self, body: bytes) -> dict[str, Any]:
        """Send one batch (JSON body). Idempotent: every request is an upsert or a delete."""
        response = self.http.post(self._path("items_batch"), operation=ITEMS_BATCH,
                                  idempotent=True, data=body,
                                  headers={"Content-Type": "application/json"})
        answer = json_body(response)
        if not isinstance(answer, dict):
            raise ChannelError("facebook items_batch: the answer is not a JSON object",
                               channel="facebook", status=response.status_code)
        return answer

    def batch_status(self, handle: str) -> dict[str, Any]:
        """The status of one batch handle (with the ids of every invalid request)."""
        response = self.http.get(self._path("check_batch_request_status"),
                                 operation=BATCH_STATUS,
                                 params={"handle": handle, "load_ids_of_invalid_requests": "true"})
        answer = json_body(response)
        data = answer.get("data") if isinstance(answer, dict) else None
        if isinstance(data, list) and data and isinstance(data[0], dict):
            return data[0]
        if isinstance(answer, dict) and "status" in answer:
            return answer  # a bare status object: accept it rather than fail the poll
        raise ChannelError(f"facebook check_batch_request_status {handle}: unexpected answer "
                           f"shape", channel="facebook", status=response.status_code)
