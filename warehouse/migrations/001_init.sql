-- 001_init: the coded-interview warehouse.
-- Offsets are character (code point) offsets into NFC-normalised turn text with \n
-- line endings; excerpts.text = turns.text[start:end] (Python slicing).
-- Referential integrity (excerpt -> turn -> interview, coding -> excerpt/code) is
-- checked by warehouse/checks/*.sql at the end of every load rather than by FOREIGN
-- KEY clauses: DuckDB refuses to delete a referenced row in the same transaction that
-- deleted its referrers, and replacing an interview must be one transaction.

CREATE TABLE runs (
    run_id           VARCHAR PRIMARY KEY,
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    status           VARCHAR NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    source_dir       VARCHAR,
    codebook_hash    VARCHAR NOT NULL,
    coder            VARCHAR NOT NULL,
    matcoder_version VARCHAR NOT NULL,
    summary          JSON
);
COMMENT ON TABLE runs IS 'One row per `matcoder run`; status stays running if the run was killed.';

CREATE TABLE run_files (
    run_id      VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    outcome     VARCHAR NOT NULL CHECK (outcome IN ('loaded', 'unchanged', 'recoded', 'rejected')),
    problem     VARCHAR,
    PRIMARY KEY (run_id, source_file)
);
COMMENT ON TABLE run_files IS 'What each run did with each file found in the transcript folder.';

CREATE TABLE codes (
    code_id       VARCHAR PRIMARY KEY CHECK (regexp_full_match(code_id, '[a-z]+\.[a-z][a-z_]*[a-z]')),
    family        VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,
    definition    VARCHAR NOT NULL,
    weighted      BOOLEAN NOT NULL,
    codebook_hash VARCHAR NOT NULL,
    CHECK (family = split_part(code_id, '.', 1))
);
COMMENT ON TABLE codes IS 'The codebook, loaded from codebook/codebook.yaml at every run (ids are fixed).';

CREATE TABLE interviews (
    interview_id     VARCHAR PRIMARY KEY,
    source_file      VARCHAR NOT NULL,
    source_format    VARCHAR NOT NULL CHECK (source_format IN ('txt', 'docx', 'vtt', 'srt')),
    content_hash     VARCHAR NOT NULL,
    pseudonym        VARCHAR,
    n_schools        INTEGER CHECK (n_schools > 0),
    n_pupils         INTEGER CHECK (n_pupils >= 0),
    phase            VARCHAR CHECK (phase IN ('mixed', 'primary', 'secondary')),
    school_type      VARCHAR CHECK (school_type IN ('mixed', 'converter', 'sponsored')),
    geography        VARCHAR CHECK (geography IN ('all_within_1h', 'chained_within_1h', 'some_isolation')),
    grew_rapidly     BOOLEAN,
    strategy_cluster INTEGER CHECK (strategy_cluster IN (1, 2, 3)),
    performance      VARCHAR CHECK (performance IN ('higher', 'lower')),
    has_case_row     BOOLEAN NOT NULL,
    coder            VARCHAR NOT NULL,
    codebook_hash    VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);
COMMENT ON TABLE interviews IS 'One transcript = one case (trust); attributes from the case sheet, null when it has no row.';
COMMENT ON COLUMN interviews.interview_id IS 'Lower-case file stem; stable across runs.';
COMMENT ON COLUMN interviews.coder IS 'Coder identity (name and version) whose codings this interview currently carries.';

CREATE TABLE turns (
    interview_id VARCHAR NOT NULL,
    turn         INTEGER NOT NULL CHECK (turn >= 0),
    speaker      VARCHAR NOT NULL,
    role         VARCHAR NOT NULL CHECK (role IN ('interviewer', 'interviewee')),
    timestamp    VARCHAR,
    text         VARCHAR NOT NULL,
    PRIMARY KEY (interview_id, turn)
);
COMMENT ON TABLE turns IS 'Speaker turns in order; only interviewee turns are segmented and coded.';

CREATE TABLE excerpts (
    excerpt_id   VARCHAR PRIMARY KEY,
    interview_id VARCHAR NOT NULL,
    turn         INTEGER NOT NULL,
    start        INTEGER NOT NULL CHECK (start >= 0),
    "end"        INTEGER NOT NULL,
    text         VARCHAR NOT NULL,
    question     VARCHAR,
    CHECK ("end" > start),
    CHECK (length(text) = "end" - start)
);
COMMENT ON TABLE excerpts IS 'Coded units: an answer or a coherent part of one. excerpt_id = interview_id:turn:start-end.';
COMMENT ON COLUMN excerpts.question IS 'The interviewer question this answer responds to (context, not coded).';

CREATE TABLE codings (
    coding_id     VARCHAR PRIMARY KEY,
    excerpt_id    VARCHAR NOT NULL,
    code_id       VARCHAR NOT NULL,
    weight        TINYINT CHECK (weight IN (1, 2, 3)),
    score         DOUBLE CHECK (score BETWEEN 0 AND 1),
    source        VARCHAR NOT NULL CHECK (source IN ('rules', 'embedding', 'human')),
    agent         VARCHAR NOT NULL,
    agent_version VARCHAR NOT NULL,
    codebook_hash VARCHAR NOT NULL,
    run_id        VARCHAR,
    reviewer      VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    evidence      JSON,
    CHECK ((source = 'human') = (reviewer IS NOT NULL)),
    CHECK (weight IS NULL OR code_id LIKE 'area.%')
);
COMMENT ON TABLE codings IS 'Every code application with provenance; human codings supersede model ones in analyst views.';
COMMENT ON COLUMN codings.weight IS 'Centralisation: 1 devolved, 2 shared, 3 centralised; null when the text does not show it.';
COMMENT ON COLUMN codings.evidence IS 'Why: for rules the rule and the trigger span(s) in the excerpt.';

CREATE TABLE retired_codings AS SELECT *, NULL::VARCHAR AS retired_by_run, NULL::VARCHAR AS reason FROM codings LIMIT 0;
COMMENT ON TABLE retired_codings IS 'Human codings whose excerpt vanished when its transcript changed; kept, never silently dropped.';
