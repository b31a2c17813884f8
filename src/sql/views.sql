-- The catalog's two views: the latest row per key across all snapshots.
-- v_outcome_experience_lookup: latest updated_at, then latest snapshot_date, then the later arrival
--   (arrival hour, object key, line). v_dim_customer: latest updated_at, then latest snapshot_date.
CREATE OR REPLACE VIEW v_outcome_experience_lookup AS
SELECT * EXCLUDE (rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY experience_id
    ORDER BY updated_at DESC, snapshot_date DESC, arrival_hour DESC, source_file DESC, line_number DESC) AS rn
  FROM outcome_experience_lookup
) WHERE rn = 1;

CREATE OR REPLACE VIEW v_dim_customer AS
SELECT * EXCLUDE (rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY client_id ORDER BY updated_at DESC, snapshot_date DESC) AS rn
  FROM dim_customer
) WHERE rn = 1;
