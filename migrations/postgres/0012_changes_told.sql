-- A change made through skl-cms's change pipeline tells the other instances itself what it changed,
-- on the channel skl_cms_changes, in the same transaction (so that each forgets exactly what the
-- change made stale); it marks its transaction with the setting skl_cms.announced. Any other
-- change to pages or redirects (a script, psql) is still announced here as "something changed".
create or replace function content_changed() returns trigger language plpgsql as $$
begin
    update content_version set version = version + 1 where id = 1;
    if coalesce(current_setting('skl_cms.announced', true), '') <> 'on' then
        perform pg_notify('skl_cms_content', current_setting('application_name'));
    end if;
    return null;
end;
$$;
