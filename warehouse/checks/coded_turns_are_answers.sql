-- Excerpts cut from interviewer turns (only interviewee answers are coded).
SELECT e.excerpt_id FROM excerpts e JOIN turns t USING (interview_id, turn)
WHERE t.role <> 'interviewee'
