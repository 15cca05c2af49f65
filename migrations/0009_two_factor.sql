-- Two-factor login: an authenticator app's codes (TOTP, RFC 6238), single-use recovery codes, and the
-- second step of a login whose password was right.

-- An account's authenticator secret. Until the editor confirms it with a code from the app,
-- `confirmed_at` is null and logins do not ask for codes.
create table two_factor (
    user_id      integer primary key references users (id) on delete cascade,
    -- The shared secret, 20 random bytes as hex. Codes are computed from it, so it cannot be hashed.
    secret       text    not null,
    created_at   text    not null,
    confirmed_at text,
    -- The time step of the last code taken: each code is taken once (RFC 6238, section 5.2).
    last_step    integer not null default 0
);

-- Recovery codes, for when the phone is lost: the SHA-256 of each, used once.
create table recovery_codes (
    id        integer primary key,
    user_id   integer not null references users (id) on delete cascade,
    code_hash text    not null,
    used_at   text,
    unique (user_id, code_hash)
);

-- Logins whose password was right and that wait for a code, found by the hash of a cookie's token.
create table login_challenges (
    token_hash text    primary key,
    user_id    integer not null references users (id) on delete cascade,
    -- Where the editor goes once logged in.
    next       text    not null,
    expires_at text    not null
);

create index login_challenges_expiry on login_challenges (expires_at);
