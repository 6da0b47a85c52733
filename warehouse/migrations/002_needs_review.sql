-- 002_needs_review: flag low-confidence model codings for human review (ensemble.v1
-- sets it when its rule and embedding voices disagree). DuckDB cannot add a column
-- with a NOT NULL constraint; null is read as "no flag" and loaders always write it.
ALTER TABLE codings ADD COLUMN needs_review BOOLEAN DEFAULT false;
ALTER TABLE retired_codings ADD COLUMN needs_review BOOLEAN DEFAULT false;
COMMENT ON COLUMN codings.needs_review IS 'Model coding of low confidence: route it to review first.';
