# EventBridge Scheduler (SPEC.md "Schedule (production)"), every schedule in America/New_York so the
# local run time holds across DST. The inputs carry no dates: the state machines plan them.

data "aws_caller_identity" "current" {}

locals {
  timezone = "America/New_York"

  schedules = {
    # Every date whose window is open or closed since the last run, oldest first.
    daily = {
      description = "Daily graph at 04:15 ET for the open dates"
      expression  = "cron(15 4 * * ? *)"
      target      = var.daily_state_machine_arn
      input       = {}
    }
    # Version 1 of the previous month's exports; the machine waits for that morning's daily run.
    monthly = {
      description = "Monthly exports at 05:00 ET on the 1st (final: false)"
      expression  = "cron(0 5 1 * ? *)"
      target      = var.monthly_state_machine_arn
      input       = { final = false }
    }
    # After the daily run of the 3rd, which closes the last day's window; also waits for it.
    month_close = {
      description = "Month close at 06:00 ET on the 3rd (final: true)"
      expression  = "cron(0 6 3 * ? *)"
      target      = var.monthly_state_machine_arn
      input       = { final = true }
    }
  }
}

resource "aws_scheduler_schedule_group" "this" {
  name = var.name
}

resource "aws_iam_role" "scheduler" {
  name = "${var.name}-scheduler"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

resource "aws_iam_role_policy" "scheduler" {
  name = "start-executions"
  role = aws_iam_role.scheduler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["states:StartExecution"]
      Resource = distinct([for s in local.schedules : s.target])
    }]
  })
}

resource "aws_scheduler_schedule" "this" {
  for_each = local.schedules

  name                         = "${var.name}-${replace(each.key, "_", "-")}"
  group_name                   = aws_scheduler_schedule_group.this.name
  description                  = each.value.description
  schedule_expression          = each.value.expression
  schedule_expression_timezone = local.timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = each.value.target
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode(each.value.input)

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}
