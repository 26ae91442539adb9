"""The 8-tile vision board: one image per position (1–8), optional caption."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from chris_app.errors import InvalidInput, NotFound
from chris_app.models import TileInput, parse
from chris_app.services._rows import enqueue, new_id, stamp
from chris_app.services.files import write_atomically
from chris_app.store import Store

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Recognised by their first bytes, not by the name the member's file happens to have.
_MAGIC = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"GIF87a": ".gif", b"GIF89a": ".gif"}


@dataclass(frozen=True, slots=True)
class Tile:
    id: str
    position: int
    image_path: Path
    caption: str | None


def image_suffix(data: bytes) -> str:
    for magic, suffix in _MAGIC.items():
        if data.startswith(magic):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    raise InvalidInput({"image": "Choose a PNG, JPEG, GIF or WebP image."})


def tiles(store: Store) -> list[Tile]:
    return [
        Tile(r["id"], r["position"], Path(r["image_path"]), r["caption"])
        for r in store.query("select * from vision_board_tiles order by position")
    ]


def set_tile(store: Store, now: datetime, position: int, image: bytes, caption: str | None = None) -> Tile:
    """Put an image (and caption) at a position, replacing what was there."""
    values = parse(TileInput, position=position, caption=caption or None)
    if not image:
        raise InvalidInput({"image": "That image is empty. Choose another one."})
    if len(image) > MAX_IMAGE_BYTES:
        raise InvalidInput({"image": "That image is larger than 10 MB. Choose a smaller one."})
    suffix = image_suffix(image)
    tile_id = new_id()
    target = store.files_dir / "vision" / f"{values.position}-{tile_id[:8]}{suffix}"
    write_atomically(target, image)
    old: list[str] = []
    try:
        with store.transaction() as conn:
            for row in conn.execute("select id, image_path from vision_board_tiles where position = ?", (values.position,)):
                old.append(row["image_path"])
                conn.execute("delete from vision_board_tiles where id = ?", (row["id"],))
                enqueue(conn, "vision_board_tiles", row["id"], now, op="delete",
                        payload={"position": values.position, "deleted_at": stamp(now)})
            ts = stamp(now)
            conn.execute(
                "insert into vision_board_tiles (id, position, image_path, caption, created_at, updated_at)"
                " values (?, ?, ?, ?, ?, ?)",
                (tile_id, values.position, str(target), values.caption, ts, ts),
            )
            enqueue(conn, "vision_board_tiles", tile_id, now)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    for path in old:
        Path(path).unlink(missing_ok=True)
    return next(t for t in tiles(store) if t.id == tile_id)


def set_caption(store: Store, now: datetime, position: int, caption: str | None) -> Tile:
    values = parse(TileInput, position=position, caption=caption or None)
    with store.transaction() as conn:
        row = conn.execute("select id from vision_board_tiles where position = ?", (values.position,)).fetchone()
        if row is None:
            raise NotFound(f"There is no image at position {values.position} yet.")
        conn.execute("update vision_board_tiles set caption = ?, updated_at = ? where id = ?",
                     (values.caption, stamp(now), row["id"]))
        enqueue(conn, "vision_board_tiles", row["id"], now)
    return next(t for t in tiles(store) if t.position == values.position)


def remove_tile(store: Store, now: datetime, position: int) -> None:
    with store.transaction() as conn:
        row = conn.execute("select id, image_path from vision_board_tiles where position = ?", (position,)).fetchone()
        if row is None:
            raise NotFound(f"There is no image at position {position}.")
        conn.execute("delete from vision_board_tiles where id = ?", (row["id"],))
        enqueue(conn, "vision_board_tiles", row["id"], now, op="delete",
                payload={"position": position, "deleted_at": stamp(now)})
    Path(row["image_path"]).unlink(missing_ok=True)


def move_tile(store: Store, now: datetime, position: int, to: int) -> None:
    """Move a tile to another position, swapping with the tile there (if any).

    Sync keys tiles by position, so a move is an edit of both positions at `now`: a swap
    rewrites both, a move into an empty position puts the tile there under a new id and
    removes the old position (the server's row there becomes a tombstone)."""
    parse(TileInput, position=to)
    if to == position:
        return
    with store.transaction() as conn:
        rows = {r["position"]: dict(r) for r in conn.execute(
            "select * from vision_board_tiles where position in (?, ?)", (position, to))}
        if position not in rows:
            raise NotFound(f"There is no image at position {position}.")
        # Positions are unique and SQLite checks that row by row, so a swap is done as
        # delete + re-insert (same ids) inside the one transaction.
        conn.execute("delete from vision_board_tiles where position in (?, ?)", (position, to))
        ts = stamp(now)
        if to not in rows:
            enqueue(conn, "vision_board_tiles", rows[position]["id"], now, op="delete",
                    payload={"position": position, "deleted_at": ts})
            rows[position]["id"] = new_id()
        for old_position, row in rows.items():
            row.update(position=to if old_position == position else position, updated_at=ts)
            conn.execute(
                "insert into vision_board_tiles (id, position, image_path, caption, created_at, updated_at)"
                " values (:id, :position, :image_path, :caption, :created_at, :updated_at)", row)
            enqueue(conn, "vision_board_tiles", row["id"], now)
