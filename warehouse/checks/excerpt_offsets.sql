-- Excerpts whose text is not the slice [start, end) of their turn (1-based substring).
SELECT e.excerpt_id, e.start, e."end"
FROM excerpts e JOIN turns t USING (interview_id, turn)
WHERE substring(t.text, e.start + 1, e."end" - e.start) <> e.text
