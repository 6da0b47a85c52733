-- purpose: Code co-occurrence within excerpts: pairs of codes applied to the same excerpt, with excerpt and case counts.
-- param family: only pairs where both codes are in this family [default: ]
-- param min_excerpts: leave out pairs seen in fewer excerpts [default: 1]
-- At a million excerpts a self-join of codings on excerpt_id is the expensive part,
-- so codes are numbered, each excerpt's pairs become one list of integer keys
-- (a * 256 + b, a < b), excerpts are counted over those keys and cases over each
-- interview's distinct keys.
WITH k AS (
    SELECT code_id, (row_number() OVER (ORDER BY code_id))::SMALLINT AS n FROM codes
    WHERE $family IS NULL OR split_part(code_id, '.', 1) = $family),
c AS (  -- excerpt_id is interview_id:turn:start-end (see excerpts), so no join to excerpts
    SELECT c.excerpt_id, k.n
    FROM {codings} c JOIN k USING (code_id)
    WHERE NOT $filtered OR split_part(c.excerpt_id, ':', 1) IN (SELECT i.interview_id FROM interviews i WHERE true {where})),
per_excerpt AS MATERIALIZED (
    SELECT excerpt_id,
           flatten(list_transform(list(n), a -> list_transform(list_filter(list(n), b -> b > a),
                                                                b -> a::INTEGER * 256 + b))) AS pairs
    FROM c GROUP BY excerpt_id HAVING count(*) > 1),
by_excerpt AS (
    SELECT pair, count(*) AS excerpts FROM (SELECT unnest(pairs) AS pair FROM per_excerpt) GROUP BY pair),
per_case AS (
    SELECT list_distinct(flatten(list(pairs))) AS pairs FROM per_excerpt GROUP BY split_part(excerpt_id, ':', 1)),
by_case AS (
    SELECT pair, count(*) AS cases FROM (SELECT unnest(pairs) AS pair FROM per_case) GROUP BY pair)
SELECT ka.code_id AS code_a, kb.code_id AS code_b, e.excerpts, c.cases
FROM by_excerpt e JOIN by_case c USING (pair) JOIN k ka ON ka.n = e.pair // 256 JOIN k kb ON kb.n = e.pair % 256
WHERE e.excerpts >= CAST($min_excerpts AS INTEGER)
ORDER BY excerpts DESC, code_a, code_b
