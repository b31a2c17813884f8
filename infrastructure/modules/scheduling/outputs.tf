output "schedules" {
  description = "Schedule name => expression and time zone."
  value       = { for k, s in aws_scheduler_schedule.this : k => { name = s.name, expression = s.schedule_expression, timezone = s.schedule_expression_timezone } }
}
