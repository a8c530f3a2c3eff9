-- cells_register.sql: post-level cells of the measures that describe posts: NB_POSTES_ACTIFS
-- (post-months active in the register: opened <= month <= closed), NB_GRILLES (grids
-- received), TAUX_COMPLETUDE (grids of active post-months / active post-months),
-- TAUX_PROMPTITUDE (of them, received on time / active post-months), over the months of
-- agg_window only (every month of a year up to that year's latest grid).
-- $1 post code or NULL; $2, $3 the months read, [from, to); $4 text[] period codes kept, or
-- NULL; $5 ISCGOBS_LOCK_MONTHS.
-- A cell exists for every post-period with an active month or a grid.
WITH
pm AS (
    SELECT p.code AS post, w.period,
           (w.period >= p.opened AND (p.closed IS NULL OR w.period <= p.closed)) AS active,
           g.post IS NOT NULL AS received, coalesce(g.on_time, false) AS on_time
    FROM post p
    CROSS JOIN agg_window w
    LEFT JOIN grid g ON g.post = p.code AND g.period = w.period
    WHERE ($1::text IS NULL OR p.code = $1::text) AND w.period >= $2::date AND w.period < $3::date
),
pp AS (
    SELECT pm.post, v.freq, v.pstart,
           count(*) FILTER (WHERE active) AS actifs,
           count(*) FILTER (WHERE received) AS grilles,
           count(*) FILTER (WHERE active AND received) AS recues,
           count(*) FILTER (WHERE active AND received AND on_time) AS a_temps
    FROM pm
    CROSS JOIN LATERAL (VALUES ('M'::char, pm.period),
                               ('Q'::char, date_trunc('quarter', pm.period)::date),
                               ('A'::char, date_trunc('year', pm.period)::date)) v(freq, pstart)
    WHERE (pm.active OR pm.received)
      AND ($4::text[] IS NULL OR agg_period_code(v.pstart, v.freq) = ANY($4::text[]))
    GROUP BY 1, 2, 3
)
SELECT pp.post AS area, agg_period_code(pp.pstart, pp.freq) AS period, s.mesure,
       '_T'::text AS sexe, '_T'::text AS age, '_T'::text AS statut, '_T'::text AS origine,
       '_T'::text AS problematique, '_T'::text AS partenaire, '_T'::text AS mode,
       'P'::char AS lvl, pp.freq, pp.pstart, s.num::bigint AS num, s.den::bigint AS den,
       agg_value(s.mesure, s.num::bigint, s.den::bigint) AS value, 1 AS nposts,
       agg_obs_status(pp.pstart, pp.freq, $5::int) AS obs_status
FROM pp
CROSS JOIN LATERAL (VALUES ('NB_POSTES_ACTIFS', pp.actifs, NULL::bigint),
                           ('NB_GRILLES', pp.grilles, NULL::bigint),
                           ('TAUX_COMPLETUDE', pp.recues, pp.actifs),
                           ('TAUX_PROMPTITUDE', pp.a_temps, pp.actifs)) s(mesure, num, den)
