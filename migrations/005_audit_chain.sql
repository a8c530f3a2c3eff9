-- 005_audit_chain.sql: the tamper-evident audit chain (docs/reliability.md, "Audit chain").
--
-- Every row of audit_log gets a position in the chain (seq: 1, 2, 3... with no gap), the hash
-- of the entry before it (prev_hash; 32 zero bytes for the first) and its own hash:
--   hash = SHA-256 of the UTF-8 text
--     "iscgobs-audit-v1\n" followed by, for each of seq, id, at, account_id, actor, action,
--     target, outcome, detail, prev_hash, either "-\n" (NULL) or "<n>:<value>\n" where <n> is
--     the byte length of <value>; at is written in UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ,
--     detail as PostgreSQL prints jsonb (detail::text), prev_hash in lower-case hex.
-- common/audit.c computes the same text in C (`iscgobs audit verify`).
--
-- A BEFORE INSERT trigger fills the three columns, so every INSERT INTO audit_log is chained
-- without its caller knowing. It takes a transaction-level advisory lock (key 2026, 11: the
-- two-integer key space, apart from the one-bigint keys of collector/store.c) so that the
-- chain has one order: a second transaction that appends waits until the first commits or
-- rolls back. Appends must therefore come last in their transaction (collector/store.c).
-- The lock is taken after the statement's snapshot: the head is read by a query of the
-- trigger, which in READ COMMITTED sees what committed while it waited. An append from a
-- REPEATABLE READ transaction that missed a newer head fails on the unique index of seq
-- instead of forking the chain.

ALTER TABLE audit_log ADD COLUMN seq bigint, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

CREATE FUNCTION audit_log_field(v text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN v IS NULL THEN '-'
                      ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v END || E'\n' $$;

CREATE FUNCTION audit_log_hash(seq bigint, id bigint, at timestamptz, account_id bigint,
                               actor text, action text, target text, outcome text,
                               detail jsonb, prev bytea) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT sha256(convert_to('iscgobs-audit-v1' || E'\n'
        || audit_log_field(seq::text) || audit_log_field(id::text)
        || audit_log_field(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || audit_log_field(account_id::text) || audit_log_field(actor)
        || audit_log_field(action) || audit_log_field(target) || audit_log_field(outcome)
        || audit_log_field(detail::text) || audit_log_field(encode(prev, 'hex')), 'UTF8')) $$;

-- The rows written before this migration are chained in the order of their id.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
DO $$
DECLARE
    r record;
    prev bytea := decode(repeat('00', 32), 'hex');
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        UPDATE audit_log SET seq = n, prev_hash = prev,
               hash = audit_log_hash(n, r.id, r.at, r.account_id, r.actor, r.action, r.target,
                                     r.outcome, r.detail, prev)
         WHERE id = r.id RETURNING hash INTO prev;
    END LOOP;
END $$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;

ALTER TABLE audit_log ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_action_at ON audit_log (action, at);

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head record;
BEGIN
    PERFORM pg_advisory_xact_lock(2026, 11);
    SELECT seq, hash INTO head FROM audit_log ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(head.seq, 0) + 1;
    NEW.prev_hash := coalesce(head.hash, decode(repeat('00', 32), 'hex'));
    NEW.hash := audit_log_hash(NEW.seq, NEW.id, NEW.at, NEW.account_id, NEW.actor, NEW.action,
                               NEW.target, NEW.outcome, NEW.detail, NEW.prev_hash);
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
