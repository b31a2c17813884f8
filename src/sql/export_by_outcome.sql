-- export_by_outcome: the rows of ace_units_by_outcome_experience_M.csv.
SELECT billing_month, client_id, client_name, outcome_id, outcome_name, experience_id, experience_name,
  channel, ace_units, engagements
FROM exp_by_outcome
ORDER BY client_id, outcome_id, experience_id, channel
