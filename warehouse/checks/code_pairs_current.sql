-- code_pairs rows that differ from a fresh computation over codings and reviews (a
-- writer changed an interview's codings without refreshing its pairs).
WITH live AS (SELECT * FROM code_pairs_of(NULL))
SELECT interview_id, basis, code_a, code_b, live.excerpts AS computed, p.excerpts AS stored
FROM live FULL JOIN code_pairs p USING (interview_id, basis, code_a, code_b)
WHERE live.excerpts IS DISTINCT FROM p.excerpts
