-- purpose: CEO behaviours by trust size: behaviour codes by the trust's growth stage from its number of schools on the case sheet (bands from the codebook's growth stages).
-- param behaviour: only this CEO behaviour code [default: ]
SELECT st.code AS size_band, c.code_id AS behaviour,
       count(DISTINCT i.interview_id) AS cases,
       count(DISTINCT c.excerpt_id) AS excerpts,
       (SELECT count(*) FROM interviews j WHERE j.n_schools BETWEEN st.min_schools AND st.max_schools) AS trusts_in_band
FROM {codings} c
JOIN excerpts e USING (excerpt_id)
JOIN interviews i USING (interview_id)
JOIN {stages} st ON i.n_schools BETWEEN st.min_schools AND st.max_schools
WHERE c.code_id LIKE 'ceo.%'
  AND ($behaviour IS NULL OR c.code_id = $behaviour)
  {where}
GROUP BY ALL
ORDER BY min(st.min_schools), behaviour
