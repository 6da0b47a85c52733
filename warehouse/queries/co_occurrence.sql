-- purpose: Code co-occurrence within excerpts: pairs of codes applied to the same excerpt, with excerpt and case counts.
-- param family: only pairs where both codes are in this family [default: ]
-- param min_excerpts: leave out pairs seen in fewer excerpts [default: 1]
-- Codes are numbered and pairs counted per trust first (integer keys), because at a
-- million excerpts the pair join is the expensive part.
WITH k AS (
    SELECT code_id, (row_number() OVER (ORDER BY code_id))::SMALLINT AS n FROM codes
    WHERE $family IS NULL OR split_part(code_id, '.', 1) = $family),
c AS (  -- excerpt_id is interview_id:turn:start-end (see excerpts), so no join to excerpts
    SELECT c.excerpt_id, k.n, hash(split_part(c.excerpt_id, ':', 1)) AS iv
    FROM {codings} c JOIN k USING (code_id)
    WHERE NOT $filtered OR split_part(c.excerpt_id, ':', 1) IN (SELECT i.interview_id FROM interviews i WHERE true {where})),
per_case AS (
    SELECT a.n AS na, b.n AS nb, a.iv, count(*) AS excerpts
    FROM c a JOIN c b ON a.excerpt_id = b.excerpt_id AND a.n < b.n
    GROUP BY ALL),
pairs AS (
    SELECT na, nb, sum(excerpts)::BIGINT AS excerpts, count(*) AS cases FROM per_case GROUP BY ALL)
SELECT ka.code_id AS code_a, kb.code_id AS code_b, p.excerpts, p.cases
FROM pairs p JOIN k ka ON ka.n = p.na JOIN k kb ON kb.n = p.nb
WHERE p.excerpts >= CAST($min_excerpts AS INTEGER)
ORDER BY excerpts DESC, code_a, code_b
