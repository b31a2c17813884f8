# terraform test with a mocked AWS provider: no account, no network. Run from infrastructure/:
#   TF_CLI_CONFIG_FILE=$PWD/.terraformrc terraform init -backend=false && terraform test

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
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/ace-unit-test-job:3" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:cluster/ace-unit-test" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:ace-unit-test-alerts" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/ace-unit-test-mock" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ace-unit-test/mock" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
}

variables {
  image_repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ace-unit"
  image_tag            = "0123abc"
  vpc_id               = "vpc-0123"
  subnet_ids           = ["subnet-a", "subnet-b"]
  warehouse_url        = "postgres://warehouse.example:5439/dev"
  warehouse_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:warehouse-AbCdEf"
  environment          = "test"
}

run "whole_stack" {
  command = apply

  assert {
    condition = sort(module.compute.jobs) == sort([
      "notification_attempted_daily", "notification_delivered_daily", "outcome_experience_lookup_daily",
      "dim_customer_daily", "ace_unit_calc_daily", "ace_unit_monthly_output", "ace_unit_monthly_outcome_experience_output",
    ])
    error_message = "every job of src/graph/graph.ts needs a task definition"
  }

  assert {
    condition     = length(module.compute.task_definition_arns) == 7 && length(module.compute.task_role_arns) == 7
    error_message = "every job needs a task definition and a task role"
  }

  assert {
    condition     = alltrue([for s in module.scheduling.schedules : s.timezone == "America/New_York"])
    error_message = "every schedule runs in America/New_York"
  }

  assert {
    condition     = length(module.alarms.alarm_names) == 5
    error_message = "failed and timed-out executions of both machines, plus the missing daily partition"
  }
}

run "storage" {
  command = apply
  module {
    source = "./modules/storage"
  }
  variables {
    name = "ace-unit-test"
  }

  assert {
    condition     = length(aws_s3_bucket.this) == 3 && length(aws_s3_bucket_public_access_block.this) == 3
    error_message = "raw, lake and exports buckets, each with a public access block"
  }

  assert {
    condition = alltrue([
      for b in aws_s3_bucket_public_access_block.this :
      b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets
    ])
    error_message = "every bucket blocks public access"
  }

  assert {
    condition = alltrue([
      for k, p in aws_s3_bucket_policy.tls_only : anytrue([
        for st in jsondecode(p.policy).Statement :
        st.Effect == "Deny" && st.Principal == "*" && st.Action == "s3:*" &&
        st.Condition.Bool["aws:SecureTransport"] == "false" &&
        contains(st.Resource, aws_s3_bucket.this[k].arn) && contains(st.Resource, "${aws_s3_bucket.this[k].arn}/*")
      ])
    ]) && length(aws_s3_bucket_policy.tls_only) == 3
    error_message = "every bucket denies requests without TLS, on the bucket and its objects"
  }

  assert {
    condition = alltrue([
      for c in aws_s3_bucket_server_side_encryption_configuration.this :
      one(c.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    ])
    error_message = "every bucket uses SSE-KMS"
  }
}

run "compute_least_privilege" {
  command = apply
  module {
    source = "./modules/compute"
  }
  variables {
    name               = "ace-unit-test"
    image              = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ace-unit:0123abc"
    raw_bucket         = "test-raw"
    lake_bucket        = "test-lake"
    lake_prefix        = "lake"
    exports_bucket     = "test-exports"
    kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    glue_database_name = "ace_unit_test"
  }

  assert {
    condition     = length(aws_ecs_task_definition.job) == 7 && length(distinct([for r in aws_iam_role.task : r.name])) == 7
    error_message = "every job has a task definition and a role of its own"
  }

  assert {
    condition     = alltrue([for j, td in aws_ecs_task_definition.job : td.task_role_arn == aws_iam_role.task[j].arn])
    error_message = "each task definition runs as its own job's role"
  }

  assert {
    condition = alltrue([
      for td in aws_ecs_task_definition.job :
      tonumber(td.cpu) >= 256 && tonumber(td.memory) >= 512 && one(td.ephemeral_storage).size_in_gib >= 21
    ])
    error_message = "every task definition sizes cpu, memory and ephemeral storage"
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.task : [
        for st in jsondecode(p.policy).Statement : [
          for a in st.Action : !strcontains(a, "*")
        ]
      ]
    ])) && alltrue(flatten([for p in aws_iam_role_policy.task : [for st in jsondecode(p.policy).Statement : !contains(st.Resource, "*")]]))
    error_message = "no task role holds a wildcard action or a * resource"
  }

  # The allowed write prefixes are spelled out here, independently of the module's own lists.
  assert {
    condition = alltrue(flatten([
      for job, p in aws_iam_role_policy.task : [
        for st in jsondecode(p.policy).Statement : [
          for r in st.Resource : anytrue([
            for prefix in lookup({
              notification_attempted_daily               = ["test-lake/lake/tables/notification_attempted/", "test-lake/lake/tables/notification_attempted_rejects/"]
              notification_delivered_daily               = ["test-lake/lake/tables/notification_delivered/", "test-lake/lake/tables/notification_delivered_rejects/"]
              outcome_experience_lookup_daily            = ["test-lake/lake/tables/outcome_experience_lookup/", "test-lake/lake/tables/experience_config_rejects/"]
              dim_customer_daily                         = ["test-lake/lake/tables/dim_customer/"]
              ace_unit_calc_daily                        = ["test-lake/lake/tables/ace_unit_audit/", "test-lake/lake/tables/ace_unit_agg/", "test-lake/lake/tables/unattributed_deliveries/"]
              ace_unit_monthly_output                    = ["test-exports/exports/ace_unit_monthly_output/"]
              ace_unit_monthly_outcome_experience_output = ["test-exports/exports/ace_unit_monthly_outcome_experience_output/"]
            }, job, []) : startswith(r, "arn:aws:s3:::${prefix}")
          ]) || startswith(r, "arn:aws:s3:::test-lake/lake/tables/runs/job=${job}/")
        ] if length([for a in st.Action : a if can(regex("^s3:(Put|Delete|Abort)", a))]) > 0
      ]
    ]))
    error_message = "a task role writes outside its own table (or export) prefixes"
  }

  assert {
    condition = alltrue(flatten([
      for job, p in aws_iam_role_policy.task : [
        for st in jsondecode(p.policy).Statement : [
          for r in st.Resource : !can(regex(":table/", r)) || contains(concat(
            lookup({
              notification_attempted_daily               = ["notification_attempted", "notification_attempted_rejects"]
              notification_delivered_daily               = ["notification_delivered", "notification_delivered_rejects"]
              outcome_experience_lookup_daily            = ["outcome_experience_lookup", "experience_config_rejects"]
              dim_customer_daily                         = ["dim_customer"]
              ace_unit_calc_daily                        = ["ace_unit_audit", "ace_unit_agg", "unattributed_deliveries"]
              ace_unit_monthly_output                    = []
              ace_unit_monthly_outcome_experience_output = []
            }, job, []), ["runs"]
          ), element(split("/", r), 2))
        ] if anytrue([for a in st.Action : can(regex("^glue:(Create|BatchCreate|Update|Delete|BatchDelete)", a))])
      ]
    ]))
    error_message = "a task role changes Glue partitions of a table it does not own"
  }

  assert {
    condition = alltrue([
      for job, p in aws_iam_role_policy.task :
      strcontains(p.policy, "secretsmanager:GetSecretValue") == (job == "dim_customer_daily")
    ])
    error_message = "only dim_customer_daily may read the warehouse secret"
  }
}

run "schedules" {
  command = apply
  module {
    source = "./modules/scheduling"
  }
  variables {
    name                      = "ace-unit-test"
    daily_state_machine_arn   = "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-daily"
    monthly_state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-monthly"
  }

  assert {
    condition     = alltrue([for s in aws_scheduler_schedule.this : s.schedule_expression_timezone == "America/New_York"])
    error_message = "every schedule runs in America/New_York"
  }

  assert {
    condition = (
      aws_scheduler_schedule.this["daily"].schedule_expression == "cron(15 4 * * ? *)" &&
      aws_scheduler_schedule.this["monthly"].schedule_expression == "cron(0 5 1 * ? *)" &&
      aws_scheduler_schedule.this["month_close"].schedule_expression == "cron(0 6 3 * ? *)"
    )
    error_message = "daily 04:15, monthly 05:00 on the 1st, month close on the 3rd"
  }

  assert {
    condition = (
      jsondecode(one(aws_scheduler_schedule.this["monthly"].target).input).final == false &&
      jsondecode(one(aws_scheduler_schedule.this["month_close"].target).input).final == true
    )
    error_message = "the monthly run is not final, the month close is"
  }
}

run "alarms" {
  command = apply
  module {
    source = "./modules/alarms"
  }
  variables {
    name               = "ace-unit-test"
    alerts_topic_arn   = "arn:aws:sns:us-east-1:123456789012:ace-unit-test-alerts"
    state_machine_arns = { daily = "arn:aws:states:us-east-1:123456789012:stateMachine:d", monthly = "arn:aws:states:us-east-1:123456789012:stateMachine:m" }
    athena_workgroup   = "ace-unit-test"
    athena_results     = { bucket = "test-lake", prefix = "athena-results" }
    glue_database_name = "ace_unit_test"
    lake_bucket        = "test-lake"
    lake_prefix        = "lake"
    kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = aws_scheduler_schedule.freshness.schedule_expression_timezone == "America/New_York"
    error_message = "the freshness check runs in America/New_York"
  }

  assert {
    condition     = strcontains(aws_sfn_state_machine.freshness.definition, "AT TIME ZONE 'America/New_York'")
    error_message = "the freshness check asks for yesterday in America/New_York"
  }
}
