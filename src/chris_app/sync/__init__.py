"""Sync with the member's account: the outbox goes up through the `sync_push` RPC, the
account's changes come down through `sync_pull` (docs/sync.md).

- `payloads`: local rows ⇄ the server's JSON (pure translation + applying pulled rows);
- `engine`: the push/pull engine over a `Transport`, its state machine and crash safety;
- `transport`: the Supabase HTTP transport (PostgREST RPC over httpx);
- `auth`: email + password sessions kept in the system keyring;
- `config`: where the Supabase project is configured (absent → guest mode);
- `errors`: what a member can run into while syncing.
"""
