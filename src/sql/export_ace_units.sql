-- export_ace_units: the rows of ace_units_M.csv, sorted by client_id.
SELECT billing_month, client_id, client_name, billing_account_id, is_billable, ace_units,
  delivered_notifications, attempted_notifications, rule_version
FROM exp_ace_units
ORDER BY client_id
