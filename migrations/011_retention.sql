-- 011_retention.sql: the deletion of microdata past their retention (`iscgobs retention
-- purge`, docs/privacy.md "Retention").
--
-- Each purge records its horizon `before` (the first month kept) before it deletes the
-- contact rows of the months before it, in batches. The latest horizon decides which years
-- are frozen: a year with a month before it keeps its indicators as stored and takes no
-- upload any more.
CREATE TABLE retention_purge (
    id          bigserial PRIMARY KEY,
    before      date NOT NULL UNIQUE CHECK (extract(day FROM before) = 1),
    actor       text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    rows        bigint NOT NULL DEFAULT 0
);

-- The persons of a post seen before the horizon and again after it, without anything else:
-- a person met in a purged month is still not "new" (NB_NOUVELLES) when met again later.
-- The persons seen only before the horizon are forgotten. Re-keyed by a key rotation like
-- contact.person.
CREATE TABLE contact_before (
    post   text     NOT NULL REFERENCES post,
    person bytea    NOT NULL,
    key_id smallint NOT NULL REFERENCES pseudonym_key,
    PRIMARY KEY (post, person)
);
