"""Sync with the member's account: the outbox goes up through the `sync_push` RPC, the
account's changes come down through `sync_pull` (docs/sync.md, the server side in
docs/backend.md). One job per module:

The sync itself
- `engine`: when what is sent and pulled — runs, retries, crash safety, the status a member sees;
- `outgoing`: local rows → the server's JSON (the outbox read into one push's batch);
- `incoming`: the server's rows and answers → the store (a pull, a push's answer, take-backs);
- `pulled`: pulled rows checked against the device's limits before they touch the store;
- `rekey`: local rows take the server's ids and affirmation version numbers;
- `snapshot`: what a device holds, in the server's shape (to compare two devices);
- `sync_state`: the `sync_state` table (account, cursor, op in flight…), one typed function per key;
- `rejections`: refused or unusable rows, in words a member understands;
- `paths`: the object path rule and how a row names its file in Storage.

Reaching the server
- `door`: the one door to the backend per account: one HTTP client, the session, the services;
- `http`: every HTTP outcome mapped once to the error tree;
- `errors`: the backend's errors, each with a member's sentence;
- `transport`: PostgREST RPCs and reads as the member (the engine's `Transport`);
- `uploads`: recordings and tile images to and from Storage;
- `realtime`: live updates of the member's profile row;
- `auth`: sign-in, sessions, password reset, two-step verification (GoTrue);
- `loopback`: Google sign-in on desktops through a loopback redirect;
- `device_secrets`: the session kept in a phone's secure storage;
- `config`: where the Supabase project is configured (absent → guest mode);
- `check`: `chris-app --check-backend`, what is configured and what answers.
"""
