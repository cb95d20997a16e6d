"""The sandbox's own admin API under ``/_sandbox/`` (loopback, like everything else).

=============================  ================================================================
``GET  /_sandbox/health``      the emulated channels and the state file
``GET  /_sandbox/stats``       calls per channel/operation/outcome, faults injected
``POST /_sandbox/faults``      ``{"rules": ["amazon.createFeed:429:0.2", …], "seed": 7}``
``POST /_sandbox/clock``       ``{"advance": 3600}``: jump sandbox time (expire tokens)
``POST /_sandbox/revoke``      ``{"channel": "amazon"}``: revoke every token of a channel
``POST /_sandbox/orders``      ``{"channel": "amazon", "count": 5, "seed": 1,
                               "multi_line_share": 0.3, "cancel_share": 0.1}``
``POST /_sandbox/race``        ``{"channels": ["amazon", "ebay"], "sku": null}``: the last
                               unit bought on two channels at once
=============================  ================================================================
"""

from __future__ import annotations

import dataclasses
from typing import Any

from feedsync.sandbox.app import SandboxApp
from feedsync.sandbox.buyers import BuyerError, place_orders, race_last_unit
from feedsync.sandbox.faults import FaultSpecError, parse_fault
from feedsync.sandbox.messages import Request, Response, SandboxError


def handle_admin(app: SandboxApp, request: Request) -> Response:
    """Answer one ``/_sandbox/…`` request (JSON in, JSON out; 400 with a message on bad input)."""
    action = request.path.removeprefix("/_sandbox/").strip("/")
    try:
        payload: Any = request.json() if request.body else {}
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        return Response.json(_act(app, request.method, action, payload))
    except (BuyerError, FaultSpecError, ValueError, KeyError, TypeError) as exc:
        return Response.json({"error": str(exc)}, status=400)
    except SandboxError as exc:
        return Response.json({"error": exc.message}, status=exc.status)


def _act(app: SandboxApp, method: str, action: str, payload: dict[str, Any]) -> Any:
    if method == "GET" and action == "health":
        return {"ok": True, "channels": sorted(app.markets), "state": str(app.store.path),
                "base_url": app.base_url}
    if method == "GET" and action == "stats":
        return {"calls": app.call_counts(), "faults_injected": dict(app.faults.injected),
                "violations": list(app.violations), "internal_errors": list(app.internal_errors)}
    if method != "POST":
        raise ValueError(f"unknown admin call {method} /_sandbox/{action}")
    if action == "faults":
        rules = [parse_fault(text) for text in payload.get("rules", [])]
        app.faults.replace(rules, payload.get("seed"))
        return {"rules": [rule.spec() for rule in rules], "seed": app.faults.seed}
    if action == "clock":
        return {"offset": app.clock.advance(float(payload["advance"]))}
    if action == "revoke":
        channel = str(payload["channel"])
        with app.store.transaction() as db:
            return {"revoked": app.exchange(channel, db).tokens.revoke_all()}
    if action == "orders":
        placed = place_orders(app, str(payload["channel"]), int(payload.get("count", 1)),
                              seed=int(payload.get("seed", 0)),
                              multi_line_share=float(payload.get("multi_line_share", 0.3)),
                              cancel_share=float(payload.get("cancel_share", 0.0)))
        return dataclasses.asdict(placed)
    if action == "race":
        channels = payload["channels"]
        if not (isinstance(channels, list) and len(channels) == 2):
            raise ValueError("channels must name exactly two channels")
        race = race_last_unit(app, (str(channels[0]), str(channels[1])),
                              sku=payload.get("sku"), seed=int(payload.get("seed", 0)))
        return dataclasses.asdict(race)
    raise ValueError(f"unknown admin call POST /_sandbox/{action}")
