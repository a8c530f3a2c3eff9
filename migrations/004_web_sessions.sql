-- 004_web_sessions.sql: sessions of the web pages (login form, docs/html.md "Sessions").
-- The session id is 256 random bits sent only in the HttpOnly cookie; the database keeps its
-- SHA-256 (a copy of this table does not let anyone log in). The CSRF token of a session is
-- derived from the id (SHA-256 of a domain tag and the id), so it is not stored either.
CREATE TABLE web_session (
    id_hash    bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    account_id bigint NOT NULL REFERENCES account ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_session_expires ON web_session (expires_at);
