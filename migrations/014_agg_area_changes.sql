-- 014_agg_area_changes.sql: the area rows' changes, appended by uploads and folded in batches
-- (aggregator/fold.c; docs/indicators.md, "Incremental refresh").
--
-- Every upload used to add its changes to the same area rows (FR, its région, its
-- département) of the year: the uploads of a month-end burst queued on those rows' locks,
-- and each row grew one version per upload that an open snapshot kept alive. An upload now
-- appends its area changes here (no row shared with another upload); the background thread
-- folds them into `indicator` a batch at a time. A fold changes no figure: a reader's figures
-- are always `indicator` plus the pending changes its snapshot sees (`indicator_now`), the
-- same before and after the fold, so generations are still bumped by the uploads only.

CREATE TABLE agg_pending (
    area          text COLLATE "C" NOT NULL,
    period        text COLLATE "C" NOT NULL,
    mesure        text COLLATE "C" NOT NULL,
    sexe          text COLLATE "C" NOT NULL,
    age           text COLLATE "C" NOT NULL,
    statut        text COLLATE "C" NOT NULL,
    origine       text COLLATE "C" NOT NULL,
    problematique text COLLATE "C" NOT NULL,
    partenaire    text COLLATE "C" NOT NULL,
    mode          text COLLATE "C" NOT NULL,
    lvl           char(1)  NOT NULL CHECK (lvl IN ('N', 'R', 'D')),
    freq          char(1)  NOT NULL,
    pstart        date     NOT NULL,
    dnum          bigint   NOT NULL,
    dden          bigint,
    dposts        int      NOT NULL,
    obs_status    char(1)  NOT NULL   -- agg_obs_status when the change was made
);

-- The cells as they are: post rows, stored area rows without a pending change, and the area
-- rows with pending changes (or only pending ones) summed; a row left with no post is gone.
-- Three branches, each a plain scan or a hash (anti or semi) join with the few pending rows
-- (an OR of the first two would make the anti-join a subplan run per row). Columns as
-- `indicator` (obs_status: that of the latest pending change, as the fold will store it, else
-- the stored one; readers compute the current one with agg_obs_status).
CREATE VIEW indicator_now AS
SELECT i.area, i.period, i.mesure, i.sexe, i.age, i.statut, i.origine, i.problematique,
       i.partenaire, i.mode, i.lvl, i.freq, i.pstart, i.num, i.den, i.value, i.nposts,
       i.obs_status
  FROM indicator i
 WHERE i.lvl = 'P'
UNION ALL
SELECT i.area, i.period, i.mesure, i.sexe, i.age, i.statut, i.origine, i.problematique,
       i.partenaire, i.mode, i.lvl, i.freq, i.pstart, i.num, i.den, i.value, i.nposts,
       i.obs_status
  FROM indicator i
 WHERE i.lvl <> 'P' AND NOT EXISTS (
       SELECT 1 FROM agg_pending p
        WHERE p.area = i.area AND p.period = i.period AND p.mesure = i.mesure
          AND p.sexe = i.sexe AND p.age = i.age AND p.statut = i.statut
          AND p.origine = i.origine AND p.problematique = i.problematique
          AND p.partenaire = i.partenaire AND p.mode = i.mode)
UNION ALL
SELECT u.area, u.period, u.mesure, u.sexe, u.age, u.statut, u.origine, u.problematique,
       u.partenaire, u.mode, max(u.lvl), max(u.freq), max(u.pstart), sum(u.num)::bigint,
       sum(u.den)::bigint, agg_value(u.mesure, sum(u.num)::bigint, sum(u.den)::bigint),
       sum(u.nposts)::int, coalesce(max(u.pending_status), max(u.obs_status))
  FROM (SELECT i.area, i.period, i.mesure, i.sexe, i.age, i.statut, i.origine,
               i.problematique, i.partenaire, i.mode, i.lvl, i.freq, i.pstart, i.num, i.den,
               i.nposts, i.obs_status, NULL::char(1) AS pending_status
          FROM indicator i
         WHERE i.lvl <> 'P' AND EXISTS (
               SELECT 1 FROM agg_pending p
                WHERE p.area = i.area AND p.period = i.period AND p.mesure = i.mesure
                  AND p.sexe = i.sexe AND p.age = i.age AND p.statut = i.statut
                  AND p.origine = i.origine AND p.problematique = i.problematique
                  AND p.partenaire = i.partenaire AND p.mode = i.mode)
        UNION ALL
        SELECT area, period, mesure, sexe, age, statut, origine, problematique, partenaire,
               mode, lvl, freq, pstart, dnum, dden, dposts, NULL, obs_status
          FROM agg_pending) u
 GROUP BY u.area, u.period, u.mesure, u.sexe, u.age, u.statut, u.origine, u.problematique,
          u.partenaire, u.mode
HAVING sum(u.nposts) > 0;
