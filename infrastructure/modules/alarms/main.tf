# Alarms to the alerts topic: failed or timed-out executions, and a missing daily partition by a set
# hour (a small scheduled state machine asks Athena whether yesterday's ace_unit_agg rows exist).

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name

  machine_alarms = merge([
    for machine, arn in var.state_machine_arns : {
      for metric in ["ExecutionsFailed", "ExecutionsTimedOut"] : "${machine}-${metric}" => { arn = arn, metric = metric, machine = machine }
    }
  ]...)

  # Yesterday in America/New_York, whatever the hour of the check.
  yesterday_sql = "date_add('day', -1, CAST(current_timestamp AT TIME ZONE 'America/New_York' AS date))"
  freshness_sql = join(" ", [
    "SELECT count(*) AS n FROM \"${var.glue_database_name}\".\"ace_unit_agg\"",
    "WHERE billing_month = date_format(${local.yesterday_sql}, '%Y-%m') AND as_of_date = ${local.yesterday_sql}",
  ])
  freshness_definition = jsonencode({
    Comment = "Fails when the daily graph has not published yesterday's ace_unit_agg rows."
    StartAt = "Count yesterday's rows"
    States = {
      "Count yesterday's rows" = {
        Type       = "Task"
        Resource   = "arn:aws:states:::athena:startQueryExecution.sync"
        Parameters = { QueryString = local.freshness_sql, WorkGroup = var.athena_workgroup }
        Retry      = [{ ErrorEquals = ["Athena.TooManyRequestsException", "Athena.InternalServerException"], IntervalSeconds = 10, BackoffRate = 2, MaxAttempts = 3 }]
        Next       = "Read count"
      }
      "Read count" = {
        Type           = "Task"
        Resource       = "arn:aws:states:::athena:getQueryResults"
        Parameters     = { "QueryExecutionId.$" = "$.QueryExecution.QueryExecutionId" }
        ResultSelector = { "n.$" = "$.ResultSet.Rows[1].Data[0].VarCharValue" }
        Next           = "Rows present?"
      }
      "Rows present?" = {
        Type    = "Choice"
        Choices = [{ Variable = "$.n", StringEquals = "0", Next = "Daily partition missing" }]
        Default = "Fresh"
      }
      "Daily partition missing" = {
        Type  = "Fail"
        Error = "DailyPartitionMissing"
        Cause = "ace_unit_agg has no rows as of yesterday (America/New_York): the daily graph did not finish; see the daily state machine."
      }
      Fresh = { Type = "Succeed" }
    }
  })
}

resource "aws_cloudwatch_metric_alarm" "executions" {
  for_each = local.machine_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.machine} state machine: ${each.value.metric} (the failing job and date are in the SNS message from its Catch)."
  namespace           = "AWS/States"
  metric_name         = each.value.metric
  dimensions          = { StateMachineArn = each.value.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alerts_topic_arn]
  ok_actions          = [var.alerts_topic_arn]
}

resource "aws_iam_role" "freshness" {
  name = "${var.name}-freshness-check"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = ["states.amazonaws.com", "scheduler.amazonaws.com"] }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

resource "aws_iam_role_policy" "freshness" {
  name = "count-yesterday"
  role = aws_iam_role.freshness.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Query"
        Effect   = "Allow"
        Action   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution"]
        Resource = ["arn:${local.partition}:athena:${local.region}:${local.account}:workgroup/${var.athena_workgroup}"]
      },
      {
        Sid    = "ReadAggTableMetadata"
        Effect = "Allow"
        Action = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"]
        Resource = [
          "arn:${local.partition}:glue:${local.region}:${local.account}:catalog",
          "arn:${local.partition}:glue:${local.region}:${local.account}:database/${var.glue_database_name}",
          "arn:${local.partition}:glue:${local.region}:${local.account}:table/${var.glue_database_name}/ace_unit_agg",
        ]
      },
      {
        Sid      = "ReadAggTable"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["arn:${local.partition}:s3:::${var.lake_bucket}/${var.lake_prefix}/tables/ace_unit_agg/*"]
      },
      {
        Sid      = "QueryResults"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = ["arn:${local.partition}:s3:::${var.athena_results.bucket}/${var.athena_results.prefix}/*"]
      },
      {
        Sid      = "ListAggAndResults"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = distinct(["arn:${local.partition}:s3:::${var.lake_bucket}", "arn:${local.partition}:s3:::${var.athena_results.bucket}"])
      },
      {
        Sid      = "DataKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [var.kms_key_arn]
      },
      {
        Sid      = "StartCheck"
        Effect   = "Allow"
        Action   = ["states:StartExecution"]
        Resource = ["arn:${local.partition}:states:${local.region}:${local.account}:stateMachine:${var.name}-freshness-check"]
      },
    ]
  })
}

resource "aws_sfn_state_machine" "freshness" {
  name       = "${var.name}-freshness-check"
  role_arn   = aws_iam_role.freshness.arn
  definition = local.freshness_definition
}

resource "aws_scheduler_schedule" "freshness" {
  name                         = "${var.name}-freshness-check"
  description                  = "Is yesterday's daily partition there by ${var.freshness_check_hour}:00 ET?"
  schedule_expression          = "cron(0 ${var.freshness_check_hour} * * ? *)"
  schedule_expression_timezone = "America/New_York"
  state                        = var.schedules_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.freshness.arn
    role_arn = aws_iam_role.freshness.arn
    input    = "{}"
  }
}

resource "aws_cloudwatch_metric_alarm" "daily_partition_missing" {
  alarm_name          = "${var.name}-daily-partition-missing"
  alarm_description   = "Yesterday's daily partition (ace_unit_agg as_of_date = yesterday ET) was missing at ${var.freshness_check_hour}:00 ET, or the check could not run."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.freshness.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alerts_topic_arn]
  ok_actions          = [var.alerts_topic_arn]
}
