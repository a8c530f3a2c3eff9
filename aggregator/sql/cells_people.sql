-- cells_people.sql: post-level cells of the measures computed from contacts and persons
-- (NB_CONTACTS, PART_CONTACTS, NB_PERSONNES, PART_PERSONNES, PART_INCONNUS_SS, PART_NSP_SS,
-- PART_ORIENTEES, PART_MINEURS), for months, quarters and years, in one set-based pass.
-- $1 post code or NULL (every post); $2, $3 the months read, [from, to) (whole years, or
-- 'infinity'); $4 text[] period codes kept, or NULL (all); $5 ISCGOBS_LOCK_MONTHS.
-- A cell exists for every post-period with at least one grid (an empty grid included);
-- every code of every breakdown list is present (zero counts are observations).
WITH
c AS (
    SELECT post, period, line, date_contact, person, sexe, age, statut, origine, connu_ss,
           mode, problems, orientations
    FROM contact
    WHERE ($1::text IS NULL OR post = $1::text) AND period >= $2::date AND period < $3::date
),
-- (post, freq, pstart) of every period holding a grid
gp AS (
    SELECT DISTINCT g.post, v.freq, v.pstart
    FROM grid g
    CROSS JOIN LATERAL (VALUES ('M'::char, g.period),
                               ('Q'::char, date_trunc('quarter', g.period)::date),
                               ('A'::char, date_trunc('year', g.period)::date)) v(freq, pstart)
    WHERE ($1::text IS NULL OR g.post = $1::text) AND g.period >= $2::date AND g.period < $3::date
      AND ($4::text[] IS NULL OR agg_period_code(v.pstart, v.freq) = ANY($4::text[]))
),
-- a person in a month: the attributes of the first contact (earliest date, then grid line),
-- every problem and orientation of the month's contacts (bitmasks OR-ed). The attributes
-- ride in one string "YYYYMMDD" || line || "|sexe|age|statut|origine|connu_ss" whose
-- smallest value (byte order) is the first contact's.
pm AS (
    SELECT post, period, person,
           min((to_char(date_contact, 'YYYYMMDD') || to_char(line, 'FM0000000') || '|' ||
                sexe || '|' || age || '|' || statut || '|' || origine || '|' || connu_ss)
               COLLATE "C") AS a,
           bit_or(problems) AS problems, bit_or(orientations) AS orientations
    FROM c
    GROUP BY post, period, person
),
-- a person in a month, quarter and year: the earliest month's first contact (the smallest
-- string again), problems and orientations OR-ed over the period
pp0 AS (
    SELECT pm.post, v.freq, v.pstart, pm.person, min(pm.a) AS a,
           bit_or(pm.problems) AS problems, bit_or(pm.orientations) AS orientations
    FROM pm
    CROSS JOIN LATERAL (VALUES ('M'::char, pm.period),
                               ('Q'::char, date_trunc('quarter', pm.period)::date),
                               ('A'::char, date_trunc('year', pm.period)::date)) v(freq, pstart)
    WHERE $4::text[] IS NULL OR agg_period_code(v.pstart, v.freq) = ANY($4::text[])
    GROUP BY 1, 2, 3, 4
),
pp AS (
    SELECT post, freq, pstart, problems, orientations,
           split_part(a, '|', 2) AS sexe, split_part(a, '|', 3) AS age,
           split_part(a, '|', 4) AS statut, split_part(a, '|', 5) AS origine,
           split_part(a, '|', 6) AS connu_ss
    FROM pp0
),
-- persons per breakdown code: d = 0 total, 1 sexe, 2 age, 3 statut, 4 origine,
-- 5 problématique, 6 partenaire (multi-response: the bits of the OR-ed masks, bit number =
-- ref_code.ord), plus a zero for every code of every list (zero counts are observations)
pc AS (
    SELECT post, freq, pstart,
           CASE WHEN GROUPING(sexe) = 0 THEN 1 WHEN GROUPING(age) = 0 THEN 2
                WHEN GROUPING(statut) = 0 THEN 3 WHEN GROUPING(origine) = 0 THEN 4
                ELSE 0 END AS d,
           coalesce(sexe, age, statut, origine, '_T') AS code, count(*) AS n
    FROM pp
    GROUP BY GROUPING SETS ((post, freq, pstart), (post, freq, pstart, sexe),
                            (post, freq, pstart, age), (post, freq, pstart, statut),
                            (post, freq, pstart, origine))
    UNION ALL
    SELECT m.post, m.freq, m.pstart, m.d, r.code, sum(m.n)
    FROM (SELECT post, freq, pstart, 5 AS d, 'CL_PROBLEMATIQUE' AS list, problems AS mask,
                 count(*) AS n
          FROM pp GROUP BY 1, 2, 3, 6
          UNION ALL
          SELECT post, freq, pstart, 6, 'CL_PARTENAIRE', orientations, count(*)
          FROM pp WHERE orientations <> 0 GROUP BY 1, 2, 3, 6) m
    JOIN ref_code r ON r.list = m.list AND (m.mask >> r.ord) & 1 = 1
    GROUP BY 1, 2, 3, 4, 5
    UNION ALL
    SELECT gp.post, gp.freq, gp.pstart, t.d, t.code, 0
    FROM gp
    CROSS JOIN (SELECT 0 AS d, '_T'::text AS code
                UNION ALL
                SELECT CASE list WHEN 'CL_SEXE' THEN 1 WHEN 'CL_AGE' THEN 2
                                 WHEN 'CL_STATUT' THEN 3 WHEN 'CL_ORIGINE' THEN 4
                                 WHEN 'CL_PROBLEMATIQUE' THEN 5 ELSE 6 END, code
                FROM ref_code
                WHERE list IN ('CL_SEXE', 'CL_AGE', 'CL_STATUT', 'CL_ORIGINE',
                               'CL_PROBLEMATIQUE', 'CL_PARTENAIRE')) t
),
pcs AS (SELECT post, freq, pstart, d, code, sum(n)::bigint AS n FROM pc GROUP BY 1, 2, 3, 4, 5),
pcell AS (
    SELECT post, freq, pstart, d, code, n,
           sum(n) FILTER (WHERE d = 0) OVER (PARTITION BY post, freq, pstart) AS total
    FROM pcs
),
-- the shares over persons of the period (only at _T), zero for periods without persons
pt0 AS (
    SELECT post, freq, pstart,
           count(*) AS persons,
           count(*) FILTER (WHERE connu_ss = 'NON') AS inconnus,
           count(*) FILTER (WHERE connu_ss IN ('OUI', 'NON')) AS ss_known,
           count(*) FILTER (WHERE connu_ss = 'NSP') AS nsp,
           count(*) FILTER (WHERE orientations <> 0) AS orientees,
           count(*) FILTER (WHERE age IN ('Y_LT15', 'Y15T17')) AS mineurs,
           count(*) FILTER (WHERE age <> '_U') AS age_known
    FROM pp GROUP BY 1, 2, 3
    UNION ALL
    SELECT post, freq, pstart, 0, 0, 0, 0, 0, 0, 0 FROM gp
),
pt AS (
    SELECT post, freq, pstart, sum(persons) AS persons, sum(inconnus) AS inconnus,
           sum(ss_known) AS ss_known, sum(nsp) AS nsp, sum(orientees) AS orientees,
           sum(mineurs) AS mineurs, sum(age_known) AS age_known
    FROM pt0 GROUP BY 1, 2, 3
),
-- contacts per mode, months first, then summed into quarters and years; zeros as above
cm AS (SELECT post, period, mode, count(*) AS n FROM c GROUP BY 1, 2, 3),
cc0 AS (
    SELECT cm.post, v.freq, v.pstart, x.code, cm.n
    FROM cm
    CROSS JOIN LATERAL (VALUES ('M'::char, cm.period),
                               ('Q'::char, date_trunc('quarter', cm.period)::date),
                               ('A'::char, date_trunc('year', cm.period)::date)) v(freq, pstart)
    CROSS JOIN LATERAL (VALUES ('_T'), (cm.mode)) x(code)
    WHERE $4::text[] IS NULL OR agg_period_code(v.pstart, v.freq) = ANY($4::text[])
    UNION ALL
    SELECT gp.post, gp.freq, gp.pstart, t.code, 0
    FROM gp
    CROSS JOIN (SELECT '_T'::text AS code UNION ALL
                SELECT code FROM ref_code WHERE list = 'CL_MODE') t
),
ccs AS (SELECT post, freq, pstart, code, sum(n)::bigint AS n FROM cc0 GROUP BY 1, 2, 3, 4),
ccell AS (
    SELECT post, freq, pstart, code, n,
           sum(n) FILTER (WHERE code = '_T') OVER (PARTITION BY post, freq, pstart) AS total
    FROM ccs
),
-- the observation status of each period, computed once per period rather than per cell
ps AS (
    SELECT freq, pstart, agg_obs_status(pstart, freq, $5::int) AS st
    FROM (SELECT DISTINCT freq, pstart FROM gp) x
),
cells AS (
    -- NB_PERSONNES: total and every breakdown; PART_PERSONNES: every breakdown
    SELECT post, freq, pstart, m.mesure, d, code, n AS num,
           CASE WHEN m.mesure = 'PART_PERSONNES' THEN total END AS den
    FROM pcell
    CROSS JOIN (VALUES ('NB_PERSONNES'), ('PART_PERSONNES')) m(mesure)
    WHERE m.mesure = 'NB_PERSONNES' OR d > 0
    UNION ALL
    SELECT pt.post, pt.freq, pt.pstart, s.mesure, 0, '_T', s.num, s.den
    FROM pt
    CROSS JOIN LATERAL (VALUES ('PART_INCONNUS_SS', pt.inconnus, pt.ss_known),
                               ('PART_NSP_SS', pt.nsp, pt.persons),
                               ('PART_ORIENTEES', pt.orientees, pt.persons),
                               ('PART_MINEURS', pt.mineurs, pt.age_known)) s(mesure, num, den)
    UNION ALL
    -- NB_CONTACTS: total and by mode; PART_CONTACTS: by mode (d = 7)
    SELECT post, freq, pstart, m.mesure, CASE WHEN code = '_T' THEN 0 ELSE 7 END, code, n,
           CASE WHEN m.mesure = 'PART_CONTACTS' THEN total END
    FROM ccell
    CROSS JOIN (VALUES ('NB_CONTACTS'), ('PART_CONTACTS')) m(mesure)
    WHERE m.mesure = 'NB_CONTACTS' OR code <> '_T'
)
SELECT post AS area, agg_period_code(pstart, freq) AS period, mesure,
       CASE WHEN d = 1 THEN code ELSE '_T' END AS sexe,
       CASE WHEN d = 2 THEN code ELSE '_T' END AS age,
       CASE WHEN d = 3 THEN code ELSE '_T' END AS statut,
       CASE WHEN d = 4 THEN code ELSE '_T' END AS origine,
       CASE WHEN d = 5 THEN code ELSE '_T' END AS problematique,
       CASE WHEN d = 6 THEN code ELSE '_T' END AS partenaire,
       CASE WHEN d = 7 THEN code ELSE '_T' END AS mode,
       'P'::char AS lvl, freq, pstart, num::bigint AS num, den::bigint AS den,
       agg_value(mesure, num::bigint, den::bigint) AS value, 1 AS nposts,
       ps.st AS obs_status
FROM cells JOIN ps USING (freq, pstart)
