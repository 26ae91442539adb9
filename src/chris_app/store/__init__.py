"""The device's local SQLite store: connection, migrations, and the member's data."""

from chris_app.store.db import Store, open_store

__all__ = ["Store", "open_store"]
