-- 004_privacy: the identifying names of each case (from the case sheet's name columns)
-- and of the project (a names file), which pseudonymisation replaces by bracketed
-- roles before any text leaves the warehouse. This table is the pseudonym -> name
-- mapping: it stays here, never in a shareable output.
CREATE TABLE case_names (
    interview_id VARCHAR,
    name         VARCHAR NOT NULL CHECK (length(trim(name)) > 0),
    role         VARCHAR NOT NULL CHECK (role IN ('MAT', 'school', 'name', 'place', 'county', 'organisation')),
    source       VARCHAR NOT NULL
);
COMMENT ON TABLE case_names IS 'Names to pseudonymise, per interview (interview_id null: the whole project). Private: never exported.';
