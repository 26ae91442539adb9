"""TEMPORARY: the old home of the sync translation, split by job into outgoing, incoming,
rekey, snapshot, paths and sync_state. Removed once no importer is left."""

from chris_app.sync.incoming import Skipped, apply_pull, apply_push_result, take_back  # noqa: F401
from chris_app.sync.outgoing import (  # noqa: F401
    LOCAL_ENTITY, SERVER_TABLE, Batch, OutboxEntry, build_batch, row_payload, session_payload, tile_payload,
)
from chris_app.sync.paths import REMOTE_PREFIX, image_object, recording_object, remote_recording_id  # noqa: F401
from chris_app.sync.snapshot import snapshot  # noqa: F401
from chris_app.sync.sync_state import keep_server_profile as keep_server_fields  # noqa: F401
