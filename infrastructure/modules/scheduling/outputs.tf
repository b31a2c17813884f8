output "schedules" {
  description = "Schedule name => expression and time zone."
  value = merge(
    { for k, s in aws_scheduler_schedule.this : k => { name = s.name, expression = s.schedule_expression, timezone = s.schedule_expression_timezone } },
    { gc = { name = aws_scheduler_schedule.gc.name, expression = aws_scheduler_schedule.gc.schedule_expression, timezone = aws_scheduler_schedule.gc.schedule_expression_timezone } },
  )
}
