# The daily and monthly state machines. Their definitions are generated from src/graph/graph.ts by
# src/graph/write-definitions.ts into definitions/; tests/infra fails when those files are stale.
# The daily machine has two generated shapes: daily.asl.json (one task per job) when shard_count is 1,
# daily-sharded.asl.json (shard tasks plus a merge for the shardable jobs) when it is above 1; the
# sharded shape reads N from the "${shard_count}" placeholder. Sharded, the route-hourly machine
# (route-hourly.asl.json, started every hour by the scheduling module) routes each arrival hour as it closes.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name

  daily_name  = "${var.name}-daily"
  daily_arn   = "arn:${local.partition}:states:${local.region}:${local.account}:stateMachine:${local.daily_name}"
  monthly_arn = "arn:${local.partition}:states:${local.region}:${local.account}:stateMachine:${var.name}-monthly"

  # The last successful scheduled daily run (src/graph/schedule.ts, DAILY_STATE_KEY): the daily machine
  # plans from it and writes it after success; the month close reads it. The local form uses the same key.
  daily_state_key = trimprefix("${var.lake_prefix}/_state/daily_last_run.json", "/")

  # Values of the "${name}" placeholders in the generated definitions (see fillPlaceholders).
  asl_values = merge(
    {
      cluster_arn             = var.cluster_arn
      subnet_ids              = var.subnet_ids
      security_group_ids      = var.security_group_ids
      assign_public_ip        = var.assign_public_ip ? "ENABLED" : "DISABLED"
      alerts_topic_arn        = aws_sns_topic.alerts.arn
      athena_workgroup        = var.athena_workgroup
      daily_state_machine_arn = local.daily_arn
      lake_bucket             = var.lake_bucket
      daily_state_key         = local.daily_state_key
      shard_count             = var.shard_count
    },
    { for job, arn in var.task_definition_arns : "task_definition_${job}" => arn },
  )

  # Each placeholder is a whole JSON string "${name}"; turn it into ${jsonencode(name)} so lists stay lists.
  daily_file       = var.shard_count > 1 ? "daily-sharded.asl.json" : "daily.asl.json"
  daily_template   = replace(file("${path.module}/definitions/${local.daily_file}"), "/\"\\$\\{([a-z0-9_]+)\\}\"/", "$${jsonencode($1)}")
  monthly_template = replace(file("${path.module}/definitions/monthly.asl.json"), "/\"\\$\\{([a-z0-9_]+)\\}\"/", "$${jsonencode($1)}")
  # The hourly router routes each arrival hour into the shards as it closes (sharded deployments only).
  route_template = replace(file("${path.module}/definitions/route-hourly.asl.json"), "/\"\\$\\{([a-z0-9_]+)\\}\"/", "$${jsonencode($1)}")

  task_definition_families = [
    for arn in values(var.task_definition_arns) : "${regex("^(.*):[0-9]+$", arn)[0]}:*"
  ]
}

resource "aws_sns_topic" "alerts" {
  name = "${var.name}-alerts"
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OwnerAndCloudWatchPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_log_group" "state_machines" {
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "state_machines" {
  name = "${var.name}-state-machines"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

resource "aws_iam_role_policy" "state_machines" {
  name = "run-jobs"
  role = aws_iam_role.state_machines.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "RunJobTasks"
        Effect    = "Allow"
        Action    = ["ecs:RunTask"]
        Resource  = local.task_definition_families
        Condition = { ArnEquals = { "ecs:cluster" = var.cluster_arn } }
      },
      {
        Sid       = "WatchAndStopJobTasks"
        Effect    = "Allow"
        Action    = ["ecs:DescribeTasks", "ecs:StopTask"]
        Resource  = ["arn:${local.partition}:ecs:${local.region}:${local.account}:task/*"]
        Condition = { ArnEquals = { "ecs:cluster" = var.cluster_arn } }
      },
      {
        Sid       = "PassJobRoles"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = var.passable_role_arns
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
      {
        # runTask.sync learns that a task stopped through this managed rule.
        Sid      = "SyncRule"
        Effect   = "Allow"
        Action   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
        Resource = ["arn:${local.partition}:events:${local.region}:${local.account}:rule/StepFunctionsGetEventsForECSTaskRule"]
      },
      {
        Sid      = "NotifyFailures"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = [aws_sns_topic.alerts.arn]
      },
      {
        Sid      = "WaitForTheDailyRun"
        Effect   = "Allow"
        Action   = ["states:ListExecutions"]
        Resource = [local.daily_arn]
      },
      {
        # Plan from the last successful scheduled run, record this one, and check it at month close.
        Sid      = "ScheduledRunState"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["arn:${local.partition}:s3:::${var.lake_bucket}/${local.daily_state_key}"]
      },
      {
        # listObjectsV2 of that one key: does the state exist yet (before the first successful run)?
        Sid       = "ScheduledRunStateExists"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = ["arn:${local.partition}:s3:::${var.lake_bucket}"]
        Condition = { StringEquals = { "s3:prefix" = local.daily_state_key } }
      },
      {
        Sid    = "CalendarQueries"
        Effect = "Allow"
        Action = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution"]
        Resource = [
          "arn:${local.partition}:athena:${local.region}:${local.account}:workgroup/${var.athena_workgroup}",
        ]
      },
      {
        Sid      = "CalendarQueryResults"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = ["arn:${local.partition}:s3:::${var.athena_results.bucket}/${var.athena_results.prefix}/*"]
      },
      {
        Sid       = "CalendarQueryResultsLocation"
        Effect    = "Allow"
        Action    = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource  = ["arn:${local.partition}:s3:::${var.athena_results.bucket}"]
        Condition = { StringLike = { "s3:prefix" = ["${var.athena_results.prefix}/*", ""] } }
      },
      {
        Sid      = "LakeAndCalendarQueryResultsKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [var.kms_key_arn]
      },
      {
        # Vended log delivery APIs do not support resource-level permissions.
        Sid    = "ExecutionLogs"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
        ]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_sfn_state_machine" "daily" {
  name       = local.daily_name
  role_arn   = aws_iam_role.state_machines.arn
  type       = "STANDARD"
  definition = templatestring(local.daily_template, local.asl_values)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machines.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  depends_on = [aws_iam_role_policy.state_machines]
}

resource "aws_sfn_state_machine" "monthly" {
  name       = "${var.name}-monthly"
  role_arn   = aws_iam_role.state_machines.arn
  type       = "STANDARD"
  definition = templatestring(local.monthly_template, local.asl_values)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machines.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  depends_on = [aws_iam_role_policy.state_machines]
}

resource "aws_sfn_state_machine" "route_hourly" {
  count = var.shard_count > 1 ? 1 : 0

  name       = "${var.name}-route-hourly"
  role_arn   = aws_iam_role.state_machines.arn
  type       = "STANDARD"
  definition = templatestring(local.route_template, local.asl_values)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machines.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  depends_on = [aws_iam_role_policy.state_machines]
}
