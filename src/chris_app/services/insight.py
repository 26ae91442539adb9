"""The weekly AI insight on /progress (issue 16): the `analyze-progress` edge function reads the
member's last 30 days on the server and answers with a summary, 2-5 insights and one focus for
next week. This module asks for it and keeps the latest answer on this device.

It is asked for on the member's click, never by itself: each ask spends one of the day's AI
requests and sends the member's days to the AI provider, and /progress is opened often. The
answer is kept for the rest of its protocol week (Monday to Sunday) in `device_flags` (never
synced), with the id of the member it belongs to, so opening /progress again shows it without
a call, and another account signed in here later never sees it. From the next Monday the card
offers a new one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chris_app.errors import ChrisError
from chris_app.services._rows import stamp
from chris_app.store import Store

FLAG = "progress_insight"
FUNCTION = "analyze-progress"
UNUSABLE = "The server gave an unusable answer. Try again later."

CallFunction = Callable[..., dict[str, Any]]  # Account.call_function(name, body, timeout=...)


@dataclass(frozen=True)
class Insight:
    summary: str
    insights: tuple[str, ...]
    focus: str
    week_start: date  # the protocol week it was asked in
    days_completed: int | None = None  # mornings completed in the 30 days analysed


def week_start(day: date) -> date:
    """Monday of the protocol week of `day`."""
    return day - timedelta(days=day.weekday())


def _parse(answer: Any, week: date) -> Insight:
    """The function's answer, checked; a ChrisError when it is not the documented shape."""
    if not isinstance(answer, dict):
        raise ChrisError(UNUSABLE)
    summary, focus, insights = answer.get("summary"), answer.get("focus_for_next_week"), answer.get("insights")
    if not (isinstance(summary, str) and summary.strip() and isinstance(focus, str) and focus.strip()
            and isinstance(insights, list) and insights
            and all(isinstance(i, str) and i.strip() for i in insights)):
        raise ChrisError(UNUSABLE)
    period = answer.get("period")
    done = period.get("days_completed") if isinstance(period, dict) else None
    return Insight(summary.strip(), tuple(i.strip() for i in insights), focus.strip(), week,
                   done if isinstance(done, int) and not isinstance(done, bool) and done >= 0 else None)


def cached(store: Store, member_id: str | None, today: date) -> Insight | None:
    """This week's insight kept on this device for `member_id`, else None (none asked this
    week, another member's, a guest, or a kept value this version cannot read)."""
    if not member_id:
        return None
    rows = store.query("select value from device_flags where name = ?", (FLAG,))
    if not rows:
        return None
    try:
        kept = json.loads(rows[0][0])
        if kept.get("member") != member_id or kept.get("week") != week_start(today).isoformat():
            return None
        return _parse(kept.get("answer"), week_start(today))
    except (ValueError, AttributeError, ChrisError):
        return None


def fetch(store: Store, now: datetime, member_id: str, today: date, call: CallFunction) -> Insight:
    """Ask the edge function for the member's insight and keep it for this protocol week.
    Blocking (run it off the UI thread). Any failure (quota, provider, offline, an unusable
    answer) is a ChrisError with a sentence for the member; what was kept stays as it was."""
    insight = _parse(call(FUNCTION, {}), week_start(today))
    kept = {"member": member_id, "week": insight.week_start.isoformat(), "answer": {
        "summary": insight.summary, "insights": list(insight.insights), "focus_for_next_week": insight.focus,
        "period": {"days_completed": insight.days_completed}}}
    with store.transaction() as conn:
        conn.execute("insert into device_flags (name, value, updated_at) values (?, ?, ?)"
                     " on conflict (name) do update set value = excluded.value, updated_at = excluded.updated_at",
                     (FLAG, json.dumps(kept), stamp(now)))
    return insight

