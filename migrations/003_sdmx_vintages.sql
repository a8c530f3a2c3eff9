-- 003_sdmx_vintages.sql: SDMX publication runs and the observations each run published
-- (exporters/sdmx_vintage.c, docs/sdmx.md "Vintages").
--
-- A publication run is recorded when the protected figures served by the SDMX channel (REST
-- data queries and `iscgobs export`) differ from the previous run's: the first data query or
-- export after a change of the indicators (or of the lock month that turns provisional
-- figures final) takes the snapshot. Observations are versioned, not copied per run: a row
-- is valid from run from_run (inclusive) to run to_run (exclusive, NULL = still current), so
-- a run's publication is every row with from_run <= run < coalesce(to_run, infinity), and a
-- query asOf=T answers with the last run published at or before T.

CREATE TABLE sdmx_publication (
    id           bigserial PRIMARY KEY,
    -- When the run became visible: its last statement sets it just before COMMIT (the value
    -- of the INSERT is provisional), so asOf=T names a run only if it was readable at T, up
    -- to the instant between that statement and the COMMIT. Runs are taken under an advisory
    -- lock, so published_at grows with id.
    published_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- What the run covers: the aggregator's generation of every year, the Paris month (the
    -- lock rule turns figures final at month boundaries) and k. A run whose state equals
    -- the current one is still the publication in force.
    state        text NOT NULL,
    trigger      text NOT NULL CHECK (trigger IN ('query', 'export', 'publish')),
    added        int NOT NULL DEFAULT 0,   -- observation versions created by this run
    closed       int NOT NULL DEFAULT 0    -- observation versions this run ended
);

-- One version of one published observation. value is OBS_VALUE as published (rounded to the
-- measure's DECIMALS; NULL: no value, e.g. withheld); withheld cells are stored without
-- value, so this table holds nothing the public did not see.
CREATE TABLE sdmx_vintage (
    freq          char(1) NOT NULL CHECK (freq IN ('M', 'Q', 'A')),
    area          text COLLATE "C" NOT NULL,
    mesure        text COLLATE "C" NOT NULL,
    sexe          text COLLATE "C" NOT NULL,
    age           text COLLATE "C" NOT NULL,
    statut        text COLLATE "C" NOT NULL,
    origine       text COLLATE "C" NOT NULL,
    problematique text COLLATE "C" NOT NULL,
    partenaire    text COLLATE "C" NOT NULL,
    mode          text COLLATE "C" NOT NULL,
    period        text COLLATE "C" NOT NULL,
    pfirst        int NOT NULL,            -- first month of the period (year * 12 + month - 1)
    plast         int NOT NULL,            -- last month
    value         text,
    obs_status    char(1) NOT NULL CHECK (obs_status IN ('A', 'P', 'Q')),
    conf_status   char(1) NOT NULL CHECK (conf_status IN ('F', 'C', 'D')),
    from_run      bigint NOT NULL REFERENCES sdmx_publication (id),
    to_run        bigint REFERENCES sdmx_publication (id),
    CHECK (to_run IS NULL OR to_run > from_run),
    CHECK ((value IS NULL) OR obs_status <> 'Q')
);

-- The current publication, in series order (time series: key, then period).
CREATE UNIQUE INDEX sdmx_vintage_current ON sdmx_vintage
    (freq, area, mesure, sexe, age, statut, origine, problematique, partenaire, mode, period)
    WHERE to_run IS NULL;
-- Every version, for asOf queries.
CREATE INDEX sdmx_vintage_history ON sdmx_vintage
    (freq, area, mesure, sexe, age, statut, origine, problematique, partenaire, mode, period,
     from_run);

-- Published history is append-only: a version may only be ended (to_run set once).
CREATE FUNCTION sdmx_vintage_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.to_run IS NULL AND NEW.to_run IS NOT NULL
       AND (NEW.freq, NEW.area, NEW.mesure, NEW.sexe, NEW.age, NEW.statut, NEW.origine,
            NEW.problematique, NEW.partenaire, NEW.mode, NEW.period, NEW.value,
            NEW.obs_status, NEW.conf_status, NEW.from_run)
           IS NOT DISTINCT FROM
           (OLD.freq, OLD.area, OLD.mesure, OLD.sexe, OLD.age, OLD.statut, OLD.origine,
            OLD.problematique, OLD.partenaire, OLD.mode, OLD.period, OLD.value,
            OLD.obs_status, OLD.conf_status, OLD.from_run) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'sdmx_vintage is append-only';
END $$;
CREATE TRIGGER sdmx_vintage_append_only BEFORE UPDATE OR DELETE ON sdmx_vintage
    FOR EACH ROW EXECUTE FUNCTION sdmx_vintage_guard();

-- Every change of the aggregator's generations tells the SDMX service (LISTEN sdmx_state) that
-- its cached state may be stale: it then checks the state again before answering from memory.
CREATE FUNCTION sdmx_notify_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sdmx_state', '');
    RETURN NULL;
END $$;
CREATE TRIGGER sdmx_state_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agg_generation
    FOR EACH STATEMENT EXECUTE FUNCTION sdmx_notify_state();
