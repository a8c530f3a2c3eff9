-- 002_indicators.sql: the stored indicators (aggregator), their freshness bookkeeping.
-- Design notes in docs/indicators.md ("Storage", "Incremental refresh").

-- One row per indicator cell: a measure, an area (FR, R84, D93 or a post code), a period
-- (2026-03, 2026-Q1, 2026) and one code per breakdown dimension ('_T' = all).
-- Counts: num = the count, den NULL, value = num. Percentages: num / den, value unrounded,
-- NULL when den = 0 (the row is kept: "no observation"). Area rows are sums of post rows:
-- nposts is how many post rows were added up (1 for a post row); a row whose nposts falls to 0
-- is deleted, so the incremental refresh and a full recompute store exactly the same rows.
-- Codes are compared byte-wise (COLLATE "C"): faster keys, the same order everywhere.
CREATE TABLE indicator (
    area          text COLLATE "C" NOT NULL,
    period        text COLLATE "C" NOT NULL,
    mesure        text COLLATE "C" NOT NULL,
    sexe          text COLLATE "C" NOT NULL DEFAULT '_T',
    age           text COLLATE "C" NOT NULL DEFAULT '_T',
    statut        text COLLATE "C" NOT NULL DEFAULT '_T',
    origine       text COLLATE "C" NOT NULL DEFAULT '_T',
    problematique text COLLATE "C" NOT NULL DEFAULT '_T',
    partenaire    text COLLATE "C" NOT NULL DEFAULT '_T',
    mode          text COLLATE "C" NOT NULL DEFAULT '_T',
    lvl           char(1)  NOT NULL CHECK (lvl IN ('N', 'R', 'D', 'P')),  -- FR, région, dép., post
    freq          char(1)  NOT NULL CHECK (freq IN ('M', 'Q', 'A')),
    pstart        date     NOT NULL,      -- first day of the period
    num           bigint   NOT NULL,
    den           bigint,
    value         double precision,
    nposts        int      NOT NULL,       -- (no CHECK: an upsert proposes deltas)
    obs_status    char(1)  NOT NULL CHECK (obs_status IN ('A', 'P')),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, period, mesure, sexe, age, statut, origine, problematique, partenaire, mode)
);
CREATE INDEX indicator_pstart ON indicator (pstart, lvl);

-- The months for which the post-describing measures (NB_POSTES_ACTIFS, NB_GRILLES, TAUX_*)
-- exist: every month of a year up to the latest month of that year with a grid.
CREATE TABLE agg_window (
    period date PRIMARY KEY CHECK (extract(day FROM period) = 1)
);

-- A counter per year, bumped in the same transaction as any change to that year's cells:
-- the published (protected) tables are cached per year and generation.
CREATE TABLE agg_generation (
    year int    PRIMARY KEY,
    gen  bigint NOT NULL
);

-- Percentages are the measures named PART_* and TAUX_*.
CREATE FUNCTION agg_is_pct(mesure text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT left(mesure, 5) IN ('PART_', 'TAUX_') $$;

-- The value of a cell from its counts (percentages unrounded, NULL when den = 0).
CREATE FUNCTION agg_value(mesure text, num bigint, den bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN NOT agg_is_pct(mesure) THEN num::double precision
                      WHEN den > 0 THEN 100.0 * num::double precision / den::double precision
                 END $$;

-- Last day (exclusive) of a period starting at pstart with frequency freq.
CREATE FUNCTION agg_period_end(pstart date, freq char) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (pstart + CASE freq WHEN 'M' THEN interval '1 month'
                                     WHEN 'Q' THEN interval '3 months'
                                     ELSE interval '1 year' END)::date $$;

-- 'A' (final) once every month of the period is locked for posts, i.e. now is past the end of
-- its last month plus lock_months months (Paris time, as route_grids.c locks uploads), and no
-- month of the period is reopened for a post (period_reopen: that month can be corrected
-- again, so every cell of the period is provisional again); 'P' (provisional) otherwise.
CREATE INDEX period_reopen_period ON period_reopen (period);
CREATE FUNCTION agg_obs_status(pstart date, freq char, lock_months int) RETURNS char
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN now() < ((agg_period_end(pstart, freq)
                                      + make_interval(months => lock_months))::timestamp
                                     AT TIME ZONE 'Europe/Paris') THEN 'P'
                      WHEN EXISTS (SELECT 1 FROM period_reopen r
                                   WHERE r.period >= pstart
                                     AND r.period < agg_period_end(pstart, freq)) THEN 'P'
                      ELSE 'A' END::char $$;

-- Period codes: 2026-03, 2026-Q1, 2026.
-- STABLE, not IMMUTABLE: to_char is STABLE, and a function declared more strictly than its
-- body is never inlined (it was then called once per row: 1 s of a full recompute).
CREATE FUNCTION agg_period_code(pstart date, freq char) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE freq WHEN 'M' THEN to_char(pstart, 'YYYY-MM')
                           WHEN 'Q' THEN to_char(pstart, 'YYYY-"Q"Q')
                           ELSE to_char(pstart, 'YYYY') END $$;
