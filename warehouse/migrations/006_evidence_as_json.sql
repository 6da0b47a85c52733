-- 006_evidence_as_json: before this, the bulk loader wrote each coding's evidence as a
-- JSON *string* holding the array's text (json_type VARCHAR), so SQL could not reach
-- into it (evidence->>'$[0].rule' was NULL). Loaders now write the array itself; this
-- turns the strings already stored into the arrays they spell.
UPDATE codings SET evidence = CAST(evidence->>'$' AS JSON) WHERE json_type(evidence) = 'VARCHAR';
UPDATE retired_codings SET evidence = CAST(evidence->>'$' AS JSON) WHERE json_type(evidence) = 'VARCHAR';
