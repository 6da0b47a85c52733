-- Interviewee turns with no excerpt (every answer must be found as excerpts).
SELECT t.interview_id, t.turn FROM turns t
WHERE t.role = 'interviewee' AND trim(t.text) <> ''
  AND NOT EXISTS (SELECT 1 FROM excerpts e WHERE e.interview_id = t.interview_id AND e.turn = t.turn)
