# The daily definition deployed for each shard_count. Run from infrastructure/ (tests/infra does):
#   terraform test -test-directory=modules/orchestration/tests

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:root", user_id = "test" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:ace-unit-test-alerts" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/ace-unit-test-mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ace-unit-test/mock" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-mock" }
  }
}

variables {
  name        = "ace-unit-test"
  cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/ace-unit-test"
  task_definition_arns = {
    for job in [
      "notification_attempted_daily", "notification_delivered_daily", "outcome_experience_lookup_daily",
      "dim_customer_daily", "ace_unit_calc_daily", "ace_unit_monthly_output", "ace_unit_monthly_outcome_experience_output",
    ] : job => "arn:aws:ecs:us-east-1:123456789012:task-definition/ace-unit-test-${job}:3"
  }
  passable_role_arns = ["arn:aws:iam::123456789012:role/ace-unit-test-task"]
  subnet_ids         = ["subnet-a", "subnet-b"]
  security_group_ids = ["sg-1"]
  athena_workgroup   = "ace-unit-test"
  athena_results     = { bucket = "test-lake", prefix = "athena-results" }
  lake_bucket        = "test-lake"
  lake_prefix        = "lake"
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
}

run "one_shard_keeps_one_task_per_job" {
  command = apply
  module {
    source = "./modules/orchestration"
  }

  assert {
    condition     = output.daily_definition_file == "daily.asl.json"
    error_message = "shard_count 1 (the default) deploys daily.asl.json"
  }

  assert {
    condition     = length(aws_sfn_state_machine.route_hourly) == 0 && output.route_hourly_state_machine_arn == null
    error_message = "with one shard there is no hourly router"
  }

  assert {
    condition = (
      !strcontains(aws_sfn_state_machine.daily.definition, "--shard") &&
      contains(keys(jsondecode(aws_sfn_state_machine.daily.definition).States["Each date, oldest first"].ItemProcessor.States), "ace_unit_calc_daily")
    )
    error_message = "with one shard every job is a single task"
  }
}

# The scheduled-run state (src/graph/schedule.ts, DAILY_STATE_KEY): both machines address it in the
# lake, and the role may read and write that one object and list that one key, nothing else of the lake.
run "scheduled_run_state" {
  command = apply
  module {
    source = "./modules/orchestration"
  }

  assert {
    condition = (
      output.daily_state_key == "lake/_state/daily_last_run.json" &&
      jsondecode(aws_sfn_state_machine.daily.definition).States["Read the last successful scheduled run"].Parameters == { Bucket = "test-lake", Key = "lake/_state/daily_last_run.json" } &&
      jsondecode(aws_sfn_state_machine.daily.definition).States["Record this successful scheduled run"].Parameters.Key == "lake/_state/daily_last_run.json" &&
      jsondecode(aws_sfn_state_machine.monthly.definition).States["Read the last successful daily run"].Parameters == { Bucket = "test-lake", Key = "lake/_state/daily_last_run.json" }
    )
    error_message = "the daily machine reads and writes, and the month close reads, lake/_state/daily_last_run.json in the lake bucket"
  }

  assert {
    condition = alltrue([
      for st in jsondecode(aws_iam_role_policy.state_machines.policy).Statement : alltrue([
        for r in st.Resource : !startswith(r, "arn:aws:s3:::test-lake") || contains([
          "arn:aws:s3:::test-lake/lake/_state/daily_last_run.json", "arn:aws:s3:::test-lake/athena-results/*", "arn:aws:s3:::test-lake",
        ], r)
      ]) && (!contains(st.Resource, "arn:aws:s3:::test-lake/lake/_state/daily_last_run.json") || join(",", sort(st.Action)) == "s3:GetObject,s3:PutObject")
      ]) && anytrue([
      for st in jsondecode(aws_iam_role_policy.state_machines.policy).Statement :
      st.Action == ["s3:ListBucket"] && try(st.Condition, null) == { StringEquals = { "s3:prefix" = "lake/_state/daily_last_run.json" } }
    ])
    error_message = "the state machines touch only the scheduled-run state in the lake (get, put, list that key)"
  }
}

run "three_shards" {
  command = apply
  module {
    source = "./modules/orchestration"
  }
  variables {
    shard_count = 3
  }

  assert {
    condition     = output.daily_definition_file == "daily-sharded.asl.json"
    error_message = "shard_count > 1 deploys daily-sharded.asl.json"
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.daily.definition).States["Each date, oldest first"].ItemSelector.shard_count == 3 &&
      jsondecode(aws_sfn_state_machine.daily.definition).States["Each date, oldest first"].ItemProcessor.States["ace_unit_calc_daily shards"].Type == "Map" &&
      !strcontains(aws_sfn_state_machine.daily.definition, "$${")
    )
    error_message = "the sharded definition carries shard_count as a number and no placeholder is left"
  }

  assert {
    condition     = !strcontains(aws_sfn_state_machine.monthly.definition, "shard")
    error_message = "the monthly machine does not shard"
  }

  assert {
    condition = (
      length(aws_sfn_state_machine.route_hourly) == 1 &&
      jsondecode(aws_sfn_state_machine.route_hourly[0].definition).States["Shard count"].Parameters.shard_count == 3 &&
      length(jsondecode(aws_sfn_state_machine.route_hourly[0].definition).States["Route the hour that closed"].Branches) == 2 &&
      !strcontains(aws_sfn_state_machine.route_hourly[0].definition, "$${") &&
      output.route_hourly_state_machine_arn != null
    )
    error_message = "sharded, the hourly router machine routes both event streams into shard_count shards"
  }
}

run "zero_shards_refused" {
  command = plan
  module {
    source = "./modules/orchestration"
  }
  variables {
    shard_count = 0
  }
  expect_failures = [var.shard_count]
}

run "too_many_shards_refused" {
  command = plan
  module {
    source = "./modules/orchestration"
  }
  variables {
    shard_count = 257
  }
  expect_failures = [var.shard_count]
}

run "fractional_shards_refused" {
  command = plan
  module {
    source = "./modules/orchestration"
  }
  variables {
    shard_count = 2.5
  }
  expect_failures = [var.shard_count]
}
