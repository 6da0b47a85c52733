-- purpose: Code co-occurrence within excerpts: pairs of codes applied to the same excerpt, with excerpt and case counts.
-- param family: only pairs where both codes are in this family [default: ]
-- param min_excerpts: leave out pairs seen in fewer excerpts [default: 1]
-- Pairing every excerpt's codes is too slow at a million excerpts, so it reads
-- code_pairs (per interview and basis; kept current by every write, see migration 005).
SELECT code_a, code_b, sum(excerpts)::BIGINT AS excerpts, count(*) AS cases
FROM code_pairs
WHERE basis = $basis
  AND ($family IS NULL OR (split_part(code_a, '.', 1) = $family AND split_part(code_b, '.', 1) = $family))
  AND (NOT $filtered OR interview_id IN (SELECT i.interview_id FROM interviews i WHERE true {where}))
GROUP BY code_a, code_b
HAVING sum(excerpts) >= CAST($min_excerpts AS INTEGER)
ORDER BY excerpts DESC, code_a, code_b
