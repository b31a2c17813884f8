output "daily_state_machine_arn" {
  description = "Daily state machine ARN."
  value       = aws_sfn_state_machine.daily.arn
}

output "monthly_state_machine_arn" {
  description = "Monthly state machine ARN."
  value       = aws_sfn_state_machine.monthly.arn
}

output "alerts_topic_arn" {
  description = "SNS topic that job failures and alarms publish to."
  value       = aws_sns_topic.alerts.arn
}

output "state_machine_role_arn" {
  description = "Role the state machines run as."
  value       = aws_iam_role.state_machines.arn
}

output "daily_definition_file" {
  description = "The generated daily definition deployed: daily.asl.json (shard_count 1) or daily-sharded.asl.json."
  value       = local.daily_file
}

output "daily_state_key" {
  description = "Key (in the lake bucket) of the last successful scheduled daily run, read and written by the state machines."
  value       = local.daily_state_key
}

output "route_hourly_state_machine_arn" {
  description = "The hourly router's state machine ARN (route-hourly.asl.json); null when shard_count is 1."
  value       = var.shard_count > 1 ? aws_sfn_state_machine.route_hourly[0].arn : null
}
