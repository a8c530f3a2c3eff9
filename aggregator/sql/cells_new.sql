-- cells_new.sql: post-level NB_NOUVELLES: persons whose first contact ever at the post (all
-- months stored, whatever the range) falls in the period. A person has one first month, so
-- the counts of months add up to their quarter and year.
-- $1 post code or NULL; $2, $3 the periods kept, [from, to) on their first day; $4 text[]
-- period codes kept, or NULL; $5 ISCGOBS_LOCK_MONTHS.
-- A cell exists for every post-period with at least one grid.
-- After a retention purge (011_retention.sql), a person of contact_before was first seen
-- before the horizon; rows of purged months not yet deleted by the batches are ignored.
WITH
f AS (
    SELECT post, person, min(period) AS first
    FROM (SELECT post, person, period FROM contact
          WHERE period >= coalesce((SELECT max(before) FROM retention_purge), '-infinity')
          UNION ALL
          SELECT post, person, '-infinity'::date FROM contact_before) x
    WHERE $1::text IS NULL OR post = $1::text
    GROUP BY post, person
),
fm AS (
    SELECT post, first AS period, count(*) AS n
    FROM f
    WHERE first >= date_trunc('year', $2::date) AND first < $3::date
    GROUP BY 1, 2
),
fp AS (
    SELECT fm.post, v.freq, v.pstart, sum(fm.n)::bigint AS n
    FROM fm
    CROSS JOIN LATERAL (VALUES ('M'::char, fm.period),
                               ('Q'::char, date_trunc('quarter', fm.period)::date),
                               ('A'::char, date_trunc('year', fm.period)::date)) v(freq, pstart)
    GROUP BY 1, 2, 3
),
gp AS (
    SELECT DISTINCT g.post, v.freq, v.pstart
    FROM grid g
    CROSS JOIN LATERAL (VALUES ('M'::char, g.period),
                               ('Q'::char, date_trunc('quarter', g.period)::date),
                               ('A'::char, date_trunc('year', g.period)::date)) v(freq, pstart)
    WHERE ($1::text IS NULL OR g.post = $1::text)
      AND g.period >= date_trunc('year', $2::date) AND g.period < $3::date
)
SELECT gp.post AS area, agg_period_code(gp.pstart, gp.freq) AS period,
       'NB_NOUVELLES'::text AS mesure, '_T'::text AS sexe, '_T'::text AS age,
       '_T'::text AS statut, '_T'::text AS origine, '_T'::text AS problematique,
       '_T'::text AS partenaire, '_T'::text AS mode,
       'P'::char AS lvl, gp.freq, gp.pstart, coalesce(fp.n, 0) AS num, NULL::bigint AS den,
       coalesce(fp.n, 0)::double precision AS value, 1 AS nposts,
       agg_obs_status(gp.pstart, gp.freq, $5::int) AS obs_status
FROM gp
LEFT JOIN fp ON fp.post = gp.post AND fp.freq = gp.freq AND fp.pstart = gp.pstart
WHERE gp.pstart >= $2::date AND gp.pstart < $3::date
  AND ($4::text[] IS NULL OR agg_period_code(gp.pstart, gp.freq) = ANY($4::text[]))
