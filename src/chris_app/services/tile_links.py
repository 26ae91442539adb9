"""Per vision tile, the days whose action was linked to it ("this builds toward"), for /progress.

A day keeps the linked tile's id and the caption it had when linked (docs/sync.md, "Board and
action links"). A tile still on the board shows under its current caption and picture; a
removed tile's days stay together under the caption they kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chris_app.store import Store

UNTITLED = "A picture without a caption"


@dataclass(frozen=True, slots=True)
class LinkedAction:
    date: date
    action: str
    done: bool | None  # the evening's answer; None before the evening review


@dataclass(frozen=True, slots=True)
class TileActions:
    tile_id: str
    caption: str
    image_path: str | None  # None once the tile is removed
    removed: bool
    position: int | None  # on the board now; None once removed
    actions: tuple[LinkedAction, ...]  # newest first

    @property
    def done(self) -> int:
        return sum(1 for a in self.actions if a.done)


def tile_actions(store: Store) -> list[TileActions]:
    """Every tile with at least one linked action: tiles on the board by position, then
    removed ones, most recently linked first."""
    rows = store.query(
        "select s.date, s.violent_action, s.action_completed, s.action_tile_id, s.action_tile_caption,"
        " t.caption as tile_caption, t.image_path, t.position"
        " from daily_sessions s left join vision_board_tiles t on t.id = s.action_tile_id"
        " where s.action_tile_id is not null and s.violent_action is not null order by s.date desc")
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(r["action_tile_id"], []).append(r)
    out = []
    for tile_id, days in groups.items():
        newest = days[0]
        live = newest["position"] is not None
        caption = (newest["tile_caption"] if live else None) or newest["action_tile_caption"] \
            or next((d["action_tile_caption"] for d in days if d["action_tile_caption"]), None) or UNTITLED
        out.append(TileActions(
            tile_id=tile_id, caption=caption.strip() or UNTITLED,
            image_path=newest["image_path"] if live else None, removed=not live,
            position=newest["position"],
            actions=tuple(LinkedAction(date.fromisoformat(d["date"]), d["violent_action"],
                                       None if d["action_completed"] is None else bool(d["action_completed"]))
                          for d in days)))
    return sorted(out, key=lambda t: (t.removed, t.position or 0, -t.actions[0].date.toordinal()))
