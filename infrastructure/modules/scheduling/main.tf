# EventBridge Scheduler (SPEC.md "Schedule (production)"), every schedule in America/New_York so the
# local run time holds across DST. The inputs carry no dates: the state machines plan them.
# Also the daily garbage collection (npm run gc) as an ECS task, before the daily run.

data "aws_caller_identity" "current" {}

locals {
  timezone = "America/New_York"

  # 02:30 ET, well before the 04:15 daily run; gc only deletes what no pointer names and is older
  # than its retention, so an overlap with a run would be harmless anyway.
  gc_expression  = "cron(30 2 * * ? *)"
  gc_task_family = "${regex("^(.*):[0-9]+$", var.gc_task_definition_arn)[0]}:*"

  schedules = merge(local.graph_schedules, var.route_hourly_state_machine_arn == null ? {} : {
    # Sharded: each arrival hour routed into the shards 20 minutes after it closes, where its files
    # landed (the scheduled time is an instant in UTC; the task routes the hour that ended before it).
    # A file landing later changes the hour's listing, and the daily graph's route routes it again.
    route_hourly = {
      description = "Hourly router at :20: the arrival hour that closed, into the daily graph's shards"
      expression  = "cron(20 * * * ? *)"
      target      = var.route_hourly_state_machine_arn
      input       = { hour_ending = "<aws.scheduler.scheduled-time>" }
    }
  })

  graph_schedules = {
    # Every date whose window is open or closed since the last successful scheduled run, oldest first
    # (the machine reads and writes that run in the lake's _state/daily_last_run.json).
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
    # After the daily run of the 3rd, which closes the last day's window; also waits for it, and refuses
    # (alarm) unless that run succeeded and every date of the month is current.
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

# The gc task's own invoker role: it can run the gc task definition on the cluster, nothing else.
resource "aws_iam_role" "gc_scheduler" {
  name = "${var.name}-gc-scheduler"
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

resource "aws_iam_role_policy" "gc_scheduler" {
  name = "run-gc"
  role = aws_iam_role.gc_scheduler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "RunGcTask"
        Effect    = "Allow"
        Action    = ["ecs:RunTask"]
        Resource  = [local.gc_task_family]
        Condition = { ArnEquals = { "ecs:cluster" = var.cluster_arn } }
      },
      {
        Sid       = "PassGcRoles"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = var.gc_pass_role_arns
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_scheduler_schedule" "gc" {
  name                         = "${var.name}-gc"
  group_name                   = aws_scheduler_schedule_group.this.name
  description                  = "npm run gc at 02:30 ET: delete superseded run folders older than the retention"
  schedule_expression          = local.gc_expression
  schedule_expression_timezone = local.timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.cluster_arn
    role_arn = aws_iam_role.gc_scheduler.arn

    ecs_parameters {
      task_definition_arn = var.gc_task_definition_arn
      launch_type         = "FARGATE"
      task_count          = 1

      network_configuration {
        subnets          = var.subnet_ids
        security_groups  = var.security_group_ids
        assign_public_ip = var.assign_public_ip
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
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
