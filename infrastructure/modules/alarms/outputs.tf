output "alarm_names" {
  description = "Every alarm this module creates."
  value       = concat([for a in aws_cloudwatch_metric_alarm.executions : a.alarm_name], [aws_cloudwatch_metric_alarm.daily_partition_missing.alarm_name])
}

output "freshness_state_machine_arn" {
  description = "The freshness check state machine."
  value       = aws_sfn_state_machine.freshness.arn
}
