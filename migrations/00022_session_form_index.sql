-- The session form preselects the type of the user's latest session
-- (models.Store.LastMeasureCode). Without an index PostgreSQL read every
-- session of the program under row security for it: 1.2 s at the 100k
-- synthetic data set (2M sessions), 595 ms at 64k (issue 15). With it,
-- the newest of the user's own sessions comes first.

-- +goose Up
CREATE INDEX sessions_created_by_idx ON prevention.sessions (created_by, created_at DESC);

-- +goose Down
DROP INDEX prevention.sessions_created_by_idx;
