-- 005_code_pairs: code co-occurrence kept per interview, so the co_occurrence query
-- sums a small table instead of pairing a million excerpts' codes at every call.
-- code_pairs_of(ids) computes the rows of the given interviews (NULL: all) from
-- codings and effective_codings; every writer that changes an interview's codings or
-- reviews replaces that interview's rows in the same transaction (load.refresh_code_pairs),
-- and checks/code_pairs_current.sql compares the table with a fresh computation.
CREATE MACRO code_pairs_of(ids) AS TABLE
WITH scope AS (
    SELECT excerpt_id, interview_id FROM excerpts WHERE ids IS NULL OR list_contains(ids, interview_id)),
coded AS (
    SELECT DISTINCT s.interview_id, c.excerpt_id, c.code_id, 'model' AS basis
    FROM codings c JOIN scope s USING (excerpt_id) WHERE c.source <> 'human'
    UNION ALL
    SELECT DISTINCT s.interview_id, c.excerpt_id, c.code_id, b.basis
    FROM effective_codings c JOIN scope s USING (excerpt_id), (VALUES ('effective'), ('human')) b(basis)
    WHERE b.basis = 'effective' OR c.basis = 'human')
SELECT a.interview_id, a.basis, a.code_id AS code_a, b.code_id AS code_b, count(*)::INTEGER AS excerpts
FROM coded a JOIN coded b ON a.excerpt_id = b.excerpt_id AND a.basis = b.basis AND a.code_id < b.code_id
GROUP BY ALL;

CREATE TABLE code_pairs (
    interview_id VARCHAR NOT NULL,
    basis        VARCHAR NOT NULL CHECK (basis IN ('effective', 'model', 'human')),
    code_a       VARCHAR NOT NULL,
    code_b       VARCHAR NOT NULL,
    excerpts     INTEGER NOT NULL CHECK (excerpts > 0),
    CHECK (code_a < code_b)
);
COMMENT ON TABLE code_pairs IS 'Per interview and basis (effective/model/human, as in the named queries): excerpts carrying both codes. Derived from codings and reviews; kept current by every write.';

INSERT INTO code_pairs SELECT * FROM code_pairs_of(NULL);
