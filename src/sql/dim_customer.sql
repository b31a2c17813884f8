-- dim_customer: the warehouse rows (landed as text in wh_dim_customer) typed for the snapshot.
-- Grain: one row per warehouse row (client_id is unique: checked before this runs).
-- is_test accepts true/false, t/f, 1/0; updated_at without a zone is UTC (the session zone).
SELECT client_id, client_name, billing_account_id,
  CASE lower(trim(is_test)) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true
                            WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false END AS is_test,
  status,
  CAST(updated_at AS TIMESTAMPTZ) AS updated_at,
  $run_id AS run_id, $dt::DATE AS snapshot_date
FROM wh_dim_customer
ORDER BY client_id
