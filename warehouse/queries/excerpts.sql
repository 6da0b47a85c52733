-- purpose: Excerpts by code, weight and case attribute (with --where), pseudonymised, with their citation.
-- param code: code ID, or a family prefix such as area. [default: ]
-- param weight: centralisation weight 1, 2 or 3 [default: ]
-- param limit: at most this many rows [default: 200]
SELECT e.interview_id, e.excerpt_id, i.pseudonym AS "case", i.strategy_cluster AS cluster, c.code_id, c.weight,
       c.basis, round(c.score, 3) AS score, e.text
FROM {codings} c
JOIN excerpts e USING (excerpt_id)
JOIN interviews i USING (interview_id)
WHERE ($code IS NULL OR c.code_id = $code OR (right($code, 1) = '.' AND starts_with(c.code_id, $code)))
  AND ($weight IS NULL OR c.weight = CAST($weight AS INTEGER))
  {where}
ORDER BY c.code_id, c.basis = 'model', c.score DESC NULLS LAST, e.excerpt_id
LIMIT CAST($limit AS INTEGER)
