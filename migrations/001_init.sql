-- 001_init.sql: the collector's schema (posts, accounts, uploads, contacts, audit, reference).
-- Design notes in docs/architecture.md ("Schema"). Applied once by `iscgobs db migrate`.

CREATE TABLE ref_code (
    list     text     NOT NULL,          -- CL_SEXE, CL_PROBLEMATIQUE, ...
    code     text     NOT NULL,
    ord      smallint NOT NULL,          -- position in the list = bit number for bitmasks
    label_fr text     NOT NULL,
    label_en text     NOT NULL,
    PRIMARY KEY (list, code),
    UNIQUE (list, ord)
);

CREATE TABLE ref_region (
    code text PRIMARY KEY,               -- INSEE: '84'
    name text NOT NULL
);

CREATE TABLE ref_departement (
    code   text PRIMARY KEY,             -- INSEE: '01', '2A', '974'
    region text NOT NULL REFERENCES ref_region,
    name   text NOT NULL
);

-- The post register (reference data managed by administrators).
CREATE TABLE post (
    code       text PRIMARY KEY CHECK (code ~ '^ISCG-[0-9AB]{3}-[0-9]{2}$'),
    name       text NOT NULL,
    dep        text NOT NULL REFERENCES ref_departement,
    force      text NOT NULL CHECK (force IN ('PN', 'GN')),
    commune    text,
    employer   text CHECK (employer IN ('COMMUNE', 'DEPARTEMENT', 'INTERCO', 'ASSOCIATION')),
    opened     date NOT NULL CHECK (extract(day FROM opened) = 1),  -- first month of activity
    closed     date CHECK (closed IS NULL OR (extract(day FROM closed) = 1 AND closed >= opened)),
                                                                     -- last month of activity
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Accounts: only a SHA-256 of the token is kept.
CREATE TABLE account (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('post', 'analyst', 'admin')),
    post          text REFERENCES post,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz,
    CHECK ((role = 'post') = (post IS NOT NULL))
);

-- Pseudonymisation keys: an identifier per key, never the key (fingerprint = SHA-256 of
-- a domain tag and the key, which reveals nothing about it).
CREATE TABLE pseudonym_key (
    id          smallserial PRIMARY KEY,
    fingerprint bytea NOT NULL UNIQUE,
    first_used  timestamptz NOT NULL DEFAULT now()
);

-- The current grid of each post-month (one row per post-month ever received).
CREATE TABLE grid (
    post              text NOT NULL REFERENCES post,
    period            date NOT NULL CHECK (extract(day FROM period) = 1),
    version           int  NOT NULL,
    sha256            bytea NOT NULL,
    rows              int  NOT NULL,
    persons           int  NOT NULL,
    first_received_at timestamptz NOT NULL,  -- decides timeliness, kept by corrections
    received_at       timestamptz NOT NULL,  -- of the current version
    on_time           boolean NOT NULL,
    PRIMARY KEY (post, period)
);
CREATE INDEX grid_period ON grid (period);

-- Every accepted version (history: who, when, checksum, counts; never the rows).
CREATE TABLE upload (
    id          bigserial PRIMARY KEY,
    post        text NOT NULL REFERENCES post,
    period      date NOT NULL,
    version     int  NOT NULL,
    sha256      bytea NOT NULL,
    rows        int  NOT NULL,
    persons     int  NOT NULL,
    warnings    int  NOT NULL,
    format      text NOT NULL CHECK (format IN ('csv', 'xml')),
    account_id  bigint REFERENCES account,
    received_at timestamptz NOT NULL,
    on_time     boolean NOT NULL,
    UNIQUE (post, period, version)
);

-- Months reopened by an administrator for one post (uploads allowed again after locking).
CREATE TABLE period_reopen (
    post        text NOT NULL REFERENCES post,
    period      date NOT NULL,
    account_id  bigint REFERENCES account,
    reopened_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post, period)
);

-- Contacts: pseudonymised, minimised rows only. Multi-valued codes are bitmasks over the
-- order of their code list (ref_code.ord). Rows of a post-month are replaced as a whole.
CREATE TABLE contact (
    post         text     NOT NULL,
    period       date     NOT NULL,      -- first day of the grid's month
    line         int      NOT NULL,      -- line in the grid: tie-break for "first contact"
    date_contact date     NOT NULL,
    person       bytea    NOT NULL,      -- HMAC-SHA256 truncated to 128 bits
    key_id       smallint NOT NULL REFERENCES pseudonym_key,
    sexe         text     NOT NULL,
    age          text     NOT NULL,      -- CL_AGE band at the contact date
    dep_res      text,                   -- département of residence, NULL when unknown
    statut       text     NOT NULL,
    origine      text     NOT NULL,
    connu_ss     text     NOT NULL,
    mode         text     NOT NULL,
    problems     integer  NOT NULL CHECK (problems <> 0),
    orientations integer  NOT NULL
);
CREATE INDEX contact_post_period ON contact (post, period);
CREATE INDEX contact_period ON contact (period);

-- Append-only audit log of every state change: who, what, when, outcome; never personal values.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    account_id bigint,
    actor      text NOT NULL,        -- account name, or 'cli' for the command line
    action     text NOT NULL,        -- 'grid.upload', 'post.add', 'account.add', ...
    target     text,                 -- 'ISCG-093-01/2026-03', ...
    outcome    text NOT NULL,        -- 'accepted', 'rejected', 'E_...', ...
    detail     jsonb
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
