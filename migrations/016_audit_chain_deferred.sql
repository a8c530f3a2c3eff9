-- 016_audit_chain_deferred.sql: the uploads' audit entries are chained just after they commit,
-- in batches, instead of inside their transaction (docs/reliability.md, "Audit chain").
--
-- Until now every INSERT INTO audit_log took the chain's lock (2026, 11) and kept it until its
-- transaction committed: the uploads, whose audit entry comes last, ran their COMMIT (the WAL
-- flush) one at a time. With 8 clients the national year took twice as long as before the
-- chain (bench/RESULTS.md, "Collector").
--
-- A transaction that sets iscgobs.audit_defer = 'on' (SET LOCAL, set_config(..., true)) now
-- writes its entries unchained: seq, prev_hash and hash NULL. common/audit.c chains them,
-- in order of id, under the same lock, onto the head of the chain, computing their hashes in C
-- (the canonical text of common/audit.c, the one `iscgobs audit verify` checks) and writing a
-- batch in one UPDATE; serve does it about every quarter of a second while uploads come,
-- `iscgobs audit verify` and GET /api/v1/audit do it first. Every other entry is still
-- chained in its own transaction by the trigger. The chain's order is the order in which
-- entries were chained; the canonical text of an entry does not change.
--
-- audit_log stays append-only: the one UPDATE allowed sets the three chain columns of an
-- unchained entry, in a transaction that says it chains (iscgobs.audit_chaining = 'on'),
-- without touching any other column.

ALTER TABLE audit_log ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD CONSTRAINT audit_log_chained_whole
        CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL));
CREATE INDEX audit_log_unchained ON audit_log (id) WHERE seq IS NULL;

CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head record;
BEGIN
    IF current_setting('iscgobs.audit_defer', true) = 'on' THEN
        RETURN NEW; -- chained after its commit (common/audit.c)
    END IF;
    PERFORM pg_advisory_xact_lock(2026, 11);
    SELECT seq, hash INTO head FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(head.seq, 0) + 1;
    NEW.prev_hash := coalesce(head.hash, decode(repeat('00', 32), 'hex'));
    NEW.hash := audit_log_hash(NEW.seq, NEW.id, NEW.at, NEW.account_id, NEW.actor, NEW.action,
                               NEW.target, NEW.outcome, NEW.detail, NEW.prev_hash);
    RETURN NEW;
END $$;

-- The guard, now per row for UPDATE and DELETE (the same trigger name: an operator who
-- disables it knowingly, as the tests' tampering does, still can), per statement for TRUNCATE.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_LEVEL = 'ROW'
       AND current_setting('iscgobs.audit_chaining', true) = 'on'
       AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND (NEW.id, NEW.at, NEW.account_id, NEW.actor, NEW.action, NEW.target, NEW.outcome,
            NEW.detail::text)
           IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.account_id, OLD.actor, OLD.action,
                                 OLD.target, OLD.outcome, OLD.detail::text) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
DROP TRIGGER audit_log_no_change ON audit_log;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
