-- 015_area_reads.sql: the public reads of area rows without a scan of the post rows.
--
-- Public pages and the public API read area rows only (lvl <> 'P'), but through
-- indicator_now the planner still scanned the post rows' branch (a CASE on the audience
-- is no predicate it can refute), and a query over every area of one period (the national
-- report's table of régions and départements) had no index: two parallel scans of the
-- whole indicator table, about 0.5 s for 450 posts whatever the load. Now:
--   * indicator_areas_now: the area rows as of now (the stored rows without pending change,
--     and the stored rows plus their pending changes), which public readers select from;
--   * indicator_now: the post rows plus indicator_areas_now (the same rows as before);
--   * a partial index of the area rows by measure, period and dimensions, and an index of
--     the pending changes by cell (the readers' anti-join and sum, during a burst).

CREATE INDEX indicator_area_cells ON indicator
    (mesure, period, sexe, age, statut, origine, problematique, partenaire, mode)
    WHERE lvl <> 'P';
CREATE INDEX agg_pending_cell ON agg_pending
    (area, period, mesure, sexe, age, statut, origine, problematique, partenaire, mode);

CREATE VIEW indicator_areas_now AS
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

CREATE OR REPLACE VIEW indicator_now AS
SELECT i.area, i.period, i.mesure, i.sexe, i.age, i.statut, i.origine, i.problematique,
       i.partenaire, i.mode, i.lvl, i.freq, i.pstart, i.num, i.den, i.value, i.nposts,
       i.obs_status
  FROM indicator i
 WHERE i.lvl = 'P'
UNION ALL
SELECT * FROM indicator_areas_now;
