-- Codings whose evidence is not the JSON the readers expect: for a model coding an array
-- of {rule, start, end, text}, for a reviewer's the object naming the Label Studio
-- annotation it came from (before migration 006 the loader stored both as JSON strings,
-- out of reach of SQL's JSON paths).
SELECT coding_id, json_type(evidence) AS stored_as
FROM (SELECT coding_id, source, evidence FROM codings
      UNION ALL
      SELECT coding_id, source, evidence FROM retired_codings)
WHERE evidence IS NOT NULL AND json_type(evidence) <> CASE WHEN source = 'human' THEN 'OBJECT' ELSE 'ARRAY' END
