"""URLs a marketplace cannot fetch: a product link or image on ``localhost``, a ``.local`` name
or a private / loopback address works in the shop owner's own network only (a WooCommerce
export of a store run on a laptop publishes ``http://localhost/wp-content/…`` images).

Marketplaces download images and crawl links from the internet, so such a URL is refused or
shows a broken picture; validation warns about it (``unreachable_url``).
"""

from __future__ import annotations

import ipaddress
import re

# scheme://[user@]host — host is a bracketed IPv6 literal or runs to the port, path, query.
_HOST = re.compile(r"[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)", re.IGNORECASE)
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa")


_KNOWN: dict[str, str | None] = {}  # by scheme://authority: a catalog's URLs share a few hosts
_KNOWN_LIMIT = 1024


def unreachable_host(url: str) -> str | None:
    """Why ``url``'s host cannot be reached from the internet (``"localhost"``, ``"a private
    address"`` …), or None when it may be (every public name and address)."""
    # Image and product URLs are unique per SKU but their hosts are few (issue #19: this ran
    # for every URL of every feed). The answer depends only on the URL up to its first "/"
    # after the scheme (the host cannot extend past it), so it is remembered by that prefix —
    # unless the prefix holds a "[" (an IPv6 literal, whose brackets may enclose a "/").
    if url.startswith("https://"):
        end = url.find("/", 8)
    elif url.startswith("http://"):
        end = url.find("/", 7)
    else:
        return _decide(url)
    key = url if end < 0 else url[:end]
    if "[" in key:
        return _decide(url)
    try:
        return _KNOWN[key]
    except KeyError:
        pass
    if len(_KNOWN) >= _KNOWN_LIMIT:
        _KNOWN.clear()
    where = _KNOWN[key] = _decide(key)
    return where


def _decide(url: str) -> str | None:
    found = _HOST.match(url)
    if found is None:
        return None
    host = found.group(1).strip("[]").rstrip(".").lower()
    if not host:
        return None
    if host in _LOCAL_NAMES:
        return "localhost"
    if host.endswith(_LOCAL_SUFFIXES):
        return "a local network name"
    if not (host[0].isdigit() or ":" in host):  # a domain name: the common case, decided fast
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_private or address.is_link_local or address.is_unspecified:
        return "a private address"
    return None
