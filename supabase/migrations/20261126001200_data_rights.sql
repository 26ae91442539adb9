-- Data rights: export everything of a member as JSON, delete a member completely.

-- =============================================
-- Functions
-- =============================================
-- All of a member's data. SECURITY INVOKER: service_role (edge functions) may export anyone;
-- a signed-in member only themselves (RLS would hide others' rows anyway; the check makes the
-- refusal explicit). Subscription lapsed or not, a member keeps this (docs/rules.md#subscription).
create or replace function public.export_member(p_user_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  if auth.role() is distinct from 'service_role' and p_user_id is distinct from auth.uid() then
    raise exception 'members can export only their own data' using errcode = '42501';
  end if;
  return (
    select jsonb_build_object(
      'format', 'chris-disciplined-export/1',
      'exported_at', now(),
      'profile', (select to_jsonb(p) - 'change_xid' from public.profiles p where p.id = p_user_id),
      'settings', (select to_jsonb(s) - 'change_xid' from public.user_settings s where s.id = p_user_id),
      'daily_sessions', coalesce((select jsonb_agg(to_jsonb(d) - 'change_xid' order by d.date)
                                    from public.daily_sessions d where d.user_id = p_user_id), '[]'::jsonb),
      'affirmations', coalesce((select jsonb_agg(to_jsonb(a) - 'change_xid' order by a.version)
                                  from public.affirmations a where a.user_id = p_user_id), '[]'::jsonb),
      'vision_boards', coalesce((select jsonb_agg(to_jsonb(v) - 'change_xid' order by v.position)
                                   from public.vision_boards v where v.user_id = p_user_id), '[]'::jsonb),
      'devices', coalesce((select jsonb_agg(to_jsonb(l) order by l.seen_at)
                             from public.last_seen l where l.user_id = p_user_id), '[]'::jsonb),
      'ai_usage', coalesce((select jsonb_agg(to_jsonb(u) order by u.day)
                              from public.ai_usage u where u.user_id = p_user_id), '[]'::jsonb),
      'files', coalesce((select jsonb_agg(jsonb_build_object('bucket', o.bucket_id, 'name', o.name,
                                                             'size', o.metadata ->> 'size',
                                                             'created_at', o.created_at)
                                          order by o.bucket_id, o.name)
                           from storage.objects o
                          where o.bucket_id in ('recordings', 'vision-boards', 'exports')
                            and (storage.foldername(o.name))[1] = p_user_id::text), '[]'::jsonb)));
end
$$;
revoke execute on function public.export_member(uuid) from public, anon;
grant execute on function public.export_member(uuid) to authenticated, service_role;

-- Deletes a member completely: storage object rows in the three buckets, then the auth user,
-- whose deletion cascades to the profile and every table hanging off it. Returns the objects
-- removed. The caller (an edge function with the service key) first removes the files through
-- the Storage API, which deletes the stored bytes; this catches whatever is left.
-- SECURITY DEFINER because service_role has no rights on auth.users; service_role only.
create or replace function public.delete_member(p_user_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  removed jsonb;
begin
  with gone as (
    delete from storage.objects o
     where o.bucket_id in ('recordings', 'vision-boards', 'exports')
       and (storage.foldername(o.name))[1] = p_user_id::text
    returning o.bucket_id, o.name
  )
  select coalesce(jsonb_agg(jsonb_build_object('bucket', g.bucket_id, 'name', g.name)), '[]'::jsonb)
    into removed from gone g;
  delete from auth.users u where u.id = p_user_id;
  return jsonb_build_object('user_id', p_user_id, 'deleted', found, 'storage_objects', removed);
end
$$;
revoke execute on function public.delete_member(uuid) from public, anon, authenticated;
grant execute on function public.delete_member(uuid) to service_role;
