"""Points in time given on the command line (``--since``, ``--as-of``): one parser for all.

Accepted: an ISO 8601 date or date-time (``2026-12-05``, ``2026-12-05T14:30``,
``2026-12-05T14:30:00+01:00``; no offset means UTC), ``now``, ``today`` and ``yesterday``
(midnight UTC), and ``<N>h`` / ``<N>d`` (that many hours or days ago). Anything else is a usage
error naming the option and these forms, never a silent string comparison.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from feedsync.errors import UsageError

FORMS = ("an ISO 8601 date or time (2026-12-05, 2026-12-05T14:30Z), now, today, yesterday, "
         "or <N>h / <N>d ago (24h, 7d)")
_AGO = re.compile(r"^(\d{1,6})\s*([hd])$")


def parse_moment(value: str, option: str, *, now: datetime | None = None) -> datetime:
    """``value`` as a timezone-aware UTC datetime; UsageError naming ``option`` if unknown."""
    now = now or datetime.now(UTC)
    text = value.strip().lower()
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if text == "now":
        return now
    if text == "today":
        return midnight
    if text == "yesterday":
        return midnight - timedelta(days=1)
    ago = _AGO.match(text)
    if ago:
        amount, unit = int(ago.group(1)), ago.group(2)
        return now - (timedelta(hours=amount) if unit == "h" else timedelta(days=amount))
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} {value!r} is not an ISO 8601 date or time (2026-12-05, "
                         "2026-12-05T14:30Z), nor now, today, yesterday or <N>h / <N>d ago "
                         "(24h, 7d)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
