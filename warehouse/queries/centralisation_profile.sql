-- purpose: Centralisation profile: per trust and operating area, how many weighted codings, their mean weight and the 1/2/3 distribution.
-- param case: only this trust's pseudonym, e.g. MAT 27 [default: ]
SELECT i.pseudonym AS "case", c.code_id AS area,
       count(*) AS weighted,
       round(avg(c.weight), 2) AS mean_weight,
       count(*) FILTER (WHERE c.weight = 1) AS devolved,
       count(*) FILTER (WHERE c.weight = 2) AS shared,
       count(*) FILTER (WHERE c.weight = 3) AS centralised
FROM {codings} c
JOIN excerpts e USING (excerpt_id)
JOIN interviews i USING (interview_id)
WHERE c.code_id LIKE 'area.%' AND c.weight IS NOT NULL
  AND ($case IS NULL OR lower(replace(i.pseudonym, ' ', '')) = $case)
  {where}
GROUP BY ALL
ORDER BY 1, 2
