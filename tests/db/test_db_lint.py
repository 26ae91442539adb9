"""Security lint over the migrated schema (after Supabase's splinter):

* every table in `public` has row level security enabled;
* every SECURITY DEFINER function in `public` and `private` has a fixed search_path and is not
  executable by anon or authenticated (directly or through PUBLIC) — except those in
  `MEMBER_DEFINER_FUNCTIONS`, each written for members on purpose and proven by pgTAP to act
  only for the caller (anon still may not run them);
* no function in `private` is executable by anon (PostgreSQL grants EXECUTE on every new
  function to PUBLIC, and the schema's default privileges cannot take that back, so each
  migration must revoke it: 20261202000500_hardening.sql did for all existing ones).

The lint queries are also run against deliberately broken objects, in a rolled-back
transaction, to prove they catch what they claim to.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db

TABLES_WITHOUT_RLS = """
select c.relname
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
 order by 1
"""

# SECURITY DEFINER functions members call on purpose, each with why and where it is proven safe:
# register_push_device takes a phone's push subscription over from the member who had it before
# (the phone changed hands), a row the caller cannot otherwise touch; it writes only for
# auth.uid() (supabase/tests/database/13-push-reminders.sql: stranger, anon, owner).
# record_own_audit adds the one audit row a member may write ('sessions_revoked'), about
# auth.uid() only; members have no INSERT on audit_log (22-audit-log.sql: owner, anon, the
# events refused). private.take_rate_token keeps the rate buckets, which members may neither
# read nor write, for the member's own sync requests (sync_push and sync_pull run as the
# member); a member's JWT takes only that member's tokens (20-rate-limits.sql: stranger).
# Names as regprocedure prints them with `public` on the search_path.
MEMBER_DEFINER_FUNCTIONS = ("register_push_device(text,text)", "record_own_audit(text,jsonb)",
                            "private.take_rate_token(uuid,text)")

UNSAFE_DEFINER_FUNCTIONS = """
select p.oid::regprocedure::text,
       not coalesce(exists (select 1 from unnest(p.proconfig) cfg where cfg like 'search_path=%%'), false)
         as no_search_path,
       has_function_privilege('anon', p.oid, 'execute') as anon_can_execute,
       has_function_privilege('authenticated', p.oid, 'execute') as authenticated_can_execute
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname in ('public', 'private') and p.prosecdef
   and (not coalesce(exists (select 1 from unnest(p.proconfig) cfg where cfg like 'search_path=%%'), false)
        or has_function_privilege('anon', p.oid, 'execute')
        or (has_function_privilege('authenticated', p.oid, 'execute')
            and p.oid::regprocedure::text <> all (%(member_functions)s)))
 order by 1
"""

PRIVATE_FUNCTIONS_FOR_ANON = """
select p.oid::regprocedure::text
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname = 'private' and has_function_privilege('anon', p.oid, 'execute')
 order by 1
"""

DEFINER_SEARCH_PATHS = """
select p.oid::regprocedure::text, cfg
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace, unnest(p.proconfig) cfg
 where n.nspname in ('public', 'private') and p.prosecdef and cfg like 'search_path=%'
"""


def unsafe_definer_functions(db) -> list[tuple]:
    return db.execute(UNSAFE_DEFINER_FUNCTIONS, {"member_functions": list(MEMBER_DEFINER_FUNCTIONS)}).fetchall()


def test_every_public_table_has_row_level_security(db):
    assert db.execute(TABLES_WITHOUT_RLS).fetchall() == []


def test_no_security_definer_function_is_unsafe(db):
    assert unsafe_definer_functions(db) == []


def test_security_definer_functions_use_an_empty_search_path(db):
    rows = db.execute(DEFINER_SEARCH_PATHS).fetchall()
    assert rows, "expected some SECURITY DEFINER functions"
    assert {cfg for _, cfg in rows} == {'search_path=""'}, rows


def test_the_lint_catches_a_table_without_rls(db):
    db.execute("create table public.lint_probe (id int)")
    assert db.execute(TABLES_WITHOUT_RLS).fetchall() == [("lint_probe",)]


def test_the_lint_catches_an_unsafe_security_definer_function(db):
    # Supabase's default privileges grant EXECUTE on new public functions to the API roles.
    db.execute("create function public.lint_probe() returns int language sql security definer as 'select 1'")
    rows = unsafe_definer_functions(db)
    assert rows == [("lint_probe()", True, True, True)]
    db.execute("alter function public.lint_probe() set search_path = ''")
    db.execute("revoke execute on function public.lint_probe() from public, anon")
    assert unsafe_definer_functions(db) == [("lint_probe()", False, False, True)]


def test_the_functions_members_may_run_as_definer_exist_and_anon_cannot_run_them(db):
    for signature in MEMBER_DEFINER_FUNCTIONS:
        definer, anon = db.execute(
            "select p.prosecdef, has_function_privilege('anon', p.oid, 'execute')"
            "  from pg_proc p where p.oid = %s::regprocedure",
            (signature if "." in signature.split("(")[0] else "public." + signature,)).fetchone()
        assert definer and not anon, signature


def test_anon_can_execute_no_function_in_private(db):
    assert db.execute(PRIVATE_FUNCTIONS_FOR_ANON).fetchall() == []


def test_the_lint_catches_a_new_private_function_left_to_public(db):
    db.execute("create function private.lint_probe() returns int language sql as 'select 1'")
    assert db.execute(PRIVATE_FUNCTIONS_FOR_ANON).fetchall() == [("private.lint_probe()",)]
    db.execute("revoke execute on function private.lint_probe() from public")
    assert db.execute(PRIVATE_FUNCTIONS_FOR_ANON).fetchall() == []
