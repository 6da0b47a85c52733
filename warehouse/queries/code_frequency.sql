-- purpose: How often each code is applied, by a case attribute: trusts (cases) and excerpts counted separately.
-- param attribute: case attribute to group by (strategy_cluster, n_schools, n_pupils, phase, school_type, geography, grew_rapidly, performance) [default: strategy_cluster] (identifier)
-- param family: only this code family (area, breakpoint, growth, ceo) [default: ]
-- Two steps (per trust, then per value) instead of count(DISTINCT ...): the codings
-- relation holds one row per excerpt and code, so a trust's rows count its excerpts.
WITH per_case AS (
    SELECT c.code_id, i.{attribute} AS value, i.interview_id, count(*) AS excerpts
    FROM {codings} c
    JOIN excerpts e USING (excerpt_id)
    JOIN interviews i USING (interview_id)
    WHERE ($family IS NULL OR split_part(c.code_id, '.', 1) = $family)
      {where}
    GROUP BY ALL)
SELECT code_id, CAST(value AS VARCHAR) AS {attribute}, count(*) AS cases, sum(excerpts)::BIGINT AS excerpts
FROM per_case
GROUP BY ALL
ORDER BY code_id, min(value) NULLS LAST
