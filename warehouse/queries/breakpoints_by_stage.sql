-- purpose: Break points by growth stage: each break point with the growth stage coded in the same excerpt (the stage the CEO was describing), excerpts and cases.
-- param breakpoint: only this break-point code [default: ]
SELECT s.code_id AS growth_stage, b.code_id AS breakpoint,
       count(DISTINCT b.excerpt_id) AS excerpts,
       count(DISTINCT i.interview_id) AS cases
FROM {codings} b
JOIN {codings} s ON s.excerpt_id = b.excerpt_id
JOIN excerpts e ON e.excerpt_id = b.excerpt_id
JOIN interviews i ON i.interview_id = e.interview_id
JOIN {stages} st ON st.code = s.code_id
WHERE b.code_id LIKE 'breakpoint.%'
  AND ($breakpoint IS NULL OR b.code_id = $breakpoint)
  {where}
GROUP BY ALL
ORDER BY min(st.min_schools), breakpoint
