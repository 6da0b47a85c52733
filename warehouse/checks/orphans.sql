-- Rows whose parent is missing: excerpt without turn, turn without interview,
-- coding without excerpt or code.
SELECT 'excerpt without turn' AS problem, e.excerpt_id AS key
FROM excerpts e ANTI JOIN turns t USING (interview_id, turn)
UNION ALL
SELECT 'turn without interview', t.interview_id || ':' || t.turn
FROM turns t ANTI JOIN interviews i USING (interview_id)
UNION ALL
SELECT 'coding without excerpt', c.coding_id
FROM codings c ANTI JOIN excerpts e USING (excerpt_id)
UNION ALL
SELECT 'coding with unknown code', c.coding_id
FROM codings c ANTI JOIN codes k USING (code_id)
