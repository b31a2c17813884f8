-- export_inputs: the month's inputs for both monthly exports, as of the month's last day.
-- Inputs: variables exp_audit_files, exp_agg_files (the month's audit and agg partitions),
--   and the dim_latest / lookup_latest slots: the latest row per key (src/sql/latest.ts, the catalog
--   views' definition) over the snapshots with snapshot_date <= last day of the month, so a client
--   absent from later snapshots keeps its last known row.
CREATE OR REPLACE TEMP TABLE exp_audit AS SELECT * FROM read_parquet(getvariable('exp_audit_files'));
CREATE OR REPLACE TEMP TABLE exp_agg AS SELECT * FROM read_parquet(getvariable('exp_agg_files'));
CREATE OR REPLACE TEMP TABLE exp_dim AS
{{dim_latest}};
CREATE OR REPLACE TEMP TABLE exp_lookup AS
{{lookup_latest}};

-- ace_units_M rows: one per client with at least one attempt or engagement in the month.
CREATE OR REPLACE TEMP TABLE exp_ace_units AS
WITH units AS (
  SELECT client_id, count(*) AS ace_units FROM exp_audit GROUP BY client_id
), volumes AS (
  SELECT client_id, sum(delivered_notifications) AS delivered, sum(attempted_notifications) AS attempted
  FROM exp_agg GROUP BY client_id
), clients AS (
  SELECT client_id FROM volumes UNION SELECT client_id FROM units
)
SELECT getvariable('exp_month') AS billing_month, c.client_id,
  d.client_name, d.billing_account_id,
  coalesce(NOT d.is_test, false) AS is_billable,
  coalesce(u.ace_units, 0)::BIGINT AS ace_units,
  coalesce(v.delivered, 0)::BIGINT AS delivered_notifications,
  coalesce(v.attempted, 0)::BIGINT AS attempted_notifications,
  getvariable('exp_rule_version') AS rule_version,
  d.client_id IS NULL AS missing_client
FROM clients c
LEFT JOIN units u USING (client_id)
LEFT JOIN volumes v USING (client_id)
LEFT JOIN exp_dim d USING (client_id);

-- ace_units_by_outcome_experience_M rows: units grouped by their first touch (experience, channel).
CREATE OR REPLACE TEMP TABLE exp_by_outcome AS
SELECT getvariable('exp_month') AS billing_month, a.client_id, d.client_name,
  coalesce(l.outcome_id, 'UNMAPPED') AS outcome_id,
  coalesce(l.outcome_name, 'Unmapped') AS outcome_name,
  a.first_experience_id AS experience_id,
  l.experience_name,
  a.first_channel AS channel,
  count(*)::BIGINT AS ace_units,
  sum(a.engagements)::BIGINT AS engagements,
  l.experience_id IS NULL AS unmapped
FROM exp_audit a
LEFT JOIN exp_lookup l ON l.experience_id = a.first_experience_id
LEFT JOIN exp_dim d ON d.client_id = a.client_id
GROUP BY ALL;

-- Reconciliation: per client, units by outcome/experience/channel sum to the client's units.
CREATE OR REPLACE TEMP TABLE exp_reconciliation AS
SELECT coalesce(u.client_id, o.client_id) AS client_id, coalesce(u.ace_units, 0) AS ace_units, coalesce(o.ace_units, 0) AS by_outcome_units
FROM (SELECT client_id, ace_units FROM exp_ace_units) u
FULL JOIN (SELECT client_id, sum(ace_units) AS ace_units FROM exp_by_outcome GROUP BY client_id) o USING (client_id)
WHERE coalesce(u.ace_units, 0) <> coalesce(o.ace_units, 0);
