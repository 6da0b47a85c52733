-- Codings with a weight on a code whose family carries no weight.
SELECT c.coding_id, c.code_id FROM codings c JOIN codes k USING (code_id)
WHERE c.weight IS NOT NULL AND NOT k.weighted
