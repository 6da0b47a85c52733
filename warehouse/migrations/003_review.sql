-- 003_review: human review in Label Studio. What was pushed where (so an excerpt is
-- never pushed twice to one project and an interrupted push resumes), every reviewer
-- verdict pulled back (a verdict with no codes is still a verdict: the reviewer
-- rejected every proposal), and the analyst-facing view in which human codings
-- supersede model codings.

CREATE TABLE review_projects (
    server        VARCHAR NOT NULL,
    project_id    INTEGER NOT NULL,
    title         VARCHAR NOT NULL,
    config_hash   VARCHAR NOT NULL,
    codebook_hash VARCHAR NOT NULL,
    model_version VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    pulled_until  VARCHAR,
    PRIMARY KEY (server, project_id)
);
COMMENT ON TABLE review_projects IS 'Label Studio projects this warehouse pushes to; pulled_until is the server time of the last pull.';

CREATE TABLE review_tasks (
    server        VARCHAR NOT NULL,
    project_id    INTEGER NOT NULL,
    excerpt_id    VARCHAR NOT NULL,
    task_id       INTEGER NOT NULL,
    model_version VARCHAR,
    strategy      VARCHAR NOT NULL CHECK (strategy IN ('uncertain', 'random', 'filter', 'recovered')),
    pushed_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (server, project_id, excerpt_id)
);
COMMENT ON TABLE review_tasks IS 'One Label Studio task per excerpt and project; strategy says how it was chosen (random = unbiased sample).';

CREATE TABLE reviews (
    server        VARCHAR NOT NULL,
    project_id    INTEGER NOT NULL,
    annotation_id INTEGER NOT NULL,
    task_id       INTEGER NOT NULL,
    excerpt_id    VARCHAR NOT NULL,
    reviewer      VARCHAR NOT NULL,
    cancelled     BOOLEAN NOT NULL,
    n_codes       INTEGER NOT NULL,
    reviewed_at   TIMESTAMP NOT NULL,
    updated_at    VARCHAR NOT NULL,
    pulled_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (server, project_id, annotation_id)
);
COMMENT ON TABLE reviews IS 'Every annotation pulled from Label Studio; cancelled (skipped) ones carry no codes and count as no verdict.';

-- Human codings win: an excerpt with at least one (non-cancelled) review takes the
-- codes applied by at least half of its reviewers, each with the weight most of them
-- gave (ties: the higher weight); every other excerpt keeps its model codings.
CREATE VIEW reviewed_excerpts AS
SELECT excerpt_id, count(DISTINCT reviewer) AS reviewers
FROM (SELECT excerpt_id, reviewer FROM reviews WHERE NOT cancelled
      UNION SELECT excerpt_id, reviewer FROM codings WHERE source = 'human')
GROUP BY excerpt_id;

CREATE VIEW effective_codings AS
WITH votes AS (
    SELECT excerpt_id, code_id, count(DISTINCT reviewer) AS votes, max(created_at) AS created_at,
           min(score) AS score
    FROM codings WHERE source = 'human' GROUP BY excerpt_id, code_id),
weights AS (
    SELECT excerpt_id, code_id, weight, count(*) AS n
    FROM codings WHERE source = 'human' AND weight IS NOT NULL GROUP BY ALL),
best_weight AS (
    SELECT excerpt_id, code_id, arg_max(weight, n * 10 + weight) AS weight FROM weights GROUP BY ALL)
SELECT v.excerpt_id, v.code_id, b.weight, coalesce(v.score, 1.0) AS score, 'human' AS basis,
       v.votes, r.reviewers, v.created_at
FROM votes v JOIN reviewed_excerpts r USING (excerpt_id)
LEFT JOIN best_weight b USING (excerpt_id, code_id)
WHERE v.votes * 2 >= r.reviewers
UNION ALL
SELECT c.excerpt_id, c.code_id, c.weight, c.score, 'model' AS basis, NULL, 0, c.created_at
FROM codings c ANTI JOIN reviewed_excerpts r USING (excerpt_id)
WHERE c.source <> 'human';
COMMENT ON VIEW effective_codings IS 'What analysts see: reviewers'' codes on reviewed excerpts (majority), model codes elsewhere.';
