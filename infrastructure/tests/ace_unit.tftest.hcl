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
  mock_data "aws_prefix_list" {
    defaults = { id = "pl-63a5400a", name = "com.amazonaws.us-east-1.s3" }
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

  warehouse_cidr_blocks                 = ["10.20.0.0/24"]
  interface_endpoint_security_group_ids = ["sg-endpoints"]
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
    condition     = alltrue([for s in module.scheduling.schedules : s.timezone == "America/New_York"]) && contains(keys(module.scheduling.schedules), "gc")
    error_message = "every schedule, the gc one included, runs in America/New_York"
  }

  # tables.json is generated from src/rules/tables.ts (tests/infra checks it is not stale).
  assert {
    condition = (
      sort(module.catalog.table_names) == sort(keys(jsondecode(file("./modules/catalog/tables.json")).tables)) &&
      alltrue([for t in ["ace_engagement_daily", "ace_attempt_daily", "runs", "notification_attempted_rejects", "notification_delivered_rejects", "experience_config_rejects"] : contains(module.catalog.table_names, t)])
    )
    error_message = "the catalog declares exactly the tables of tables.json, intermediates, runs and rejects included"
  }

  assert {
    condition = alltrue([
      for job, p in module.compute.task_role_policies :
      strcontains(p, "athena:StartQueryExecution") == contains(["dim_customer_daily", "outcome_experience_lookup_daily"], job)
    ])
    error_message = "only the lookup jobs (which create the views) run Athena queries"
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

  assert {
    condition = (
      alltrue([for r in aws_s3_bucket_lifecycle_configuration.lake.rule : length(flatten([for f in r.filter : [for a in f.and : a.tags]])) == 0]) &&
      anytrue([for r in aws_s3_bucket_lifecycle_configuration.lake.rule : length(r.abort_incomplete_multipart_upload) > 0])
    )
    error_message = "the lake expires nothing by tag (publishers tag nothing; npm run gc removes superseded versions) and aborts incomplete uploads"
  }

  # Issue 13, point 14: raw (the billing source of truth) and the lake were not versioned.
  assert {
    condition = (
      sort(keys(aws_s3_bucket_versioning.this)) == sort(["exports", "lake", "raw"]) &&
      alltrue([for k, v in aws_s3_bucket_versioning.this : one(v.versioning_configuration).status == "Enabled"])
    )
    error_message = "the raw, lake and exports buckets are versioned"
  }

  assert {
    condition = (
      anytrue([
        for r in aws_s3_bucket_lifecycle_configuration.raw.rule : one(r.noncurrent_version_expiration).noncurrent_days == 90
        if r.status == "Enabled" && one(r.filter).prefix == "raw/" && length(r.noncurrent_version_expiration) == 1
      ]) &&
      anytrue([
        for r in aws_s3_bucket_lifecycle_configuration.raw.rule : one(r.expiration).expired_object_delete_marker == true
        if r.status == "Enabled" && length(r.expiration) == 1
      ])
    )
    error_message = "raw: a deleted, overwritten or expired file stays 90 days as a noncurrent version, then goes with its delete marker"
  }

  assert {
    condition = (
      anytrue([
        for r in aws_s3_bucket_lifecycle_configuration.lake.rule :
        one(r.noncurrent_version_expiration).noncurrent_days == 30 && one(r.expiration).expired_object_delete_marker == true
        if r.id == "expire-noncurrent-versions" && r.status == "Enabled" && length(r.noncurrent_version_expiration) == 1 && length(r.expiration) == 1
      ])
    )
    error_message = "lake: noncurrent versions (what gc deleted, replaced pointers) are kept 30 days over the whole bucket, then removed with their delete markers"
  }

  assert {
    condition     = alltrue([for r in aws_s3_bucket_lifecycle_configuration.exports.rule : length(r.noncurrent_version_expiration) == 0 && length(r.expiration) == 0])
    error_message = "export versions (what Finance billed from) never expire"
  }
}

run "storage_noncurrent_retention_is_a_whole_number_of_days" {
  command = plan
  module {
    source = "./modules/storage"
  }
  variables {
    name                         = "ace-unit-test"
    raw_noncurrent_version_days  = 0
    lake_noncurrent_version_days = 1.5
  }
  expect_failures = [var.raw_noncurrent_version_days, var.lake_noncurrent_version_days]
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
    athena_workgroup   = "ace-unit-test"
    athena_results     = { bucket = "test-lake", prefix = "athena-results" }

    warehouse_cidr_blocks                 = ["10.20.0.0/24"]
    interface_endpoint_security_group_ids = ["sg-endpoints"]
  }

  # Issue 13, point 14: the tasks could reach any address on 443 and on the warehouse port.
  # (Unset rule attributes are null under the mock provider, hence the `== null ? [] :` guards.)
  assert {
    condition = (
      length(aws_security_group.tasks.ingress) == 0 &&
      length(aws_security_group.tasks.egress) == 3 &&
      alltrue([
        for e in aws_security_group.tasks.egress :
        e.protocol == "tcp" && length(e.ipv6_cidr_blocks == null ? [] : e.ipv6_cidr_blocks) == 0 && !contains(e.cidr_blocks == null ? [] : e.cidr_blocks, "0.0.0.0/0")
      ])
    )
    error_message = "the task security group allows no inbound traffic and no outbound traffic to 0.0.0.0/0"
  }

  assert {
    condition = (
      anytrue([
        for e in aws_security_group.tasks.egress : e.from_port == 443 && e.to_port == 443 && tolist(e.prefix_list_ids) == tolist(["pl-63a5400a"])
        if e.prefix_list_ids != null && e.cidr_blocks == null && e.security_groups == null
      ]) &&
      anytrue([
        for e in aws_security_group.tasks.egress : e.from_port == 443 && e.to_port == 443 && toset(e.security_groups) == toset(["sg-endpoints"])
        if e.security_groups != null && e.cidr_blocks == null && e.prefix_list_ids == null
      ]) &&
      anytrue([
        for e in aws_security_group.tasks.egress : e.from_port == 5439 && e.to_port == 5439 && tolist(e.cidr_blocks) == tolist(["10.20.0.0/24"])
        if e.cidr_blocks != null && e.security_groups == null && e.prefix_list_ids == null
      ])
    )
    error_message = "egress: 443 to S3's prefix list and to the interface endpoints' security group, 5439 to the warehouse's CIDR, nothing else"
  }

  assert {
    condition     = data.aws_prefix_list.s3.name == "com.amazonaws.us-east-1.s3"
    error_message = "the S3 prefix list is the region's"
  }

  # Versioned buckets: only lifecycle rules remove old versions; no role can destroy one.
  assert {
    condition = alltrue(flatten([
      for p in concat(values(aws_iam_role_policy.task), [aws_iam_role_policy.gc]) : [
        for st in jsondecode(p.policy).Statement : [for a in st.Action : !can(regex("^s3:(DeleteObjectVersion|PutBucketVersioning|PutLifecycleConfiguration|PutBucketLifecycle)", a))]
      ]
    ]))
    error_message = "no task role (gc included) deletes object versions or changes versioning or lifecycle"
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
    condition = alltrue([
      for td in aws_ecs_task_definition.job : alltrue([
        for k, v in {
          ACE_CATALOG   = "glue", ACE_GLUE_DATABASE = "ace_unit_test", ACE_ATHENA_WORKGROUP = "ace-unit-test",
          ACE_LAKE_ROOT = "s3://test-lake/lake", ACE_RAW_ROOT = "s3://test-raw/raw", ACE_EXPORT_ROOT = "s3://test-exports/exports",
        } : contains(jsondecode(td.container_definitions)[0].environment, { name = k, value = v })
      ])
    ])
    error_message = "every job gets the Glue catalog, the Athena workgroup and the raw, lake and export roots"
  }

  # Read-only root filesystem: the scratch volume (task storage) at /scratch is the only writable place,
  # and every temporary file of the code (scratch root, DuckDB spill, TMPDIR) points there.
  assert {
    condition = alltrue([
      for td in concat(values(aws_ecs_task_definition.job), [aws_ecs_task_definition.gc]) : (
        try(jsondecode(td.container_definitions)[0].readonlyRootFilesystem, false) == true &&
        [for v in td.volume : v.name] == ["scratch"] && alltrue([for v in td.volume : v.host_path == null]) &&
        try(jsondecode(td.container_definitions)[0].mountPoints, []) == [{ sourceVolume = "scratch", containerPath = "/scratch", readOnly = false }] &&
        alltrue([
          for k, v in { TMPDIR = "/scratch", ACE_SCRATCH_DIR = "/scratch/ace-unit", ACE_DUCKDB_TEMP_DIR = "/scratch/duckdb" } :
          contains(jsondecode(td.container_definitions)[0].environment, { name = k, value = v })
        ])
      )
    ])
    error_message = "every task definition (jobs and gc) has a read-only root filesystem and a writable scratch volume at /scratch that TMPDIR, ACE_SCRATCH_DIR and ACE_DUCKDB_TEMP_DIR point into"
  }

  # No role (jobs and gc) holds a wildcard action; a * resource only where the API has no resource
  # (Redshift Data API statements, limited to the caller's own statements by a condition).
  assert {
    condition = alltrue(flatten([
      for p in concat(values(aws_iam_role_policy.task), [aws_iam_role_policy.gc]) : [
        for st in jsondecode(p.policy).Statement : concat(
          [for a in st.Action : !strcontains(a, "*")],
          [!contains(st.Resource, "*") || (alltrue([for a in st.Action : startswith(a, "redshift-data:") && a != "redshift-data:ExecuteStatement"]) && can(st.Condition.StringEquals["redshift-data:statement-owner-iam-userid"]))],
        )
      ]
    ]))
    error_message = "no role holds a wildcard action or a * resource on data"
  }

  # The allowed write prefixes are spelled out here, independently of the module's own lists.
  assert {
    condition = alltrue(flatten([
      for job, p in aws_iam_role_policy.task : [
        for st in jsondecode(p.policy).Statement : [
          for r in st.Resource : anytrue(concat([
            for prefix in lookup({
              notification_attempted_daily    = ["test-lake/lake/tables/notification_attempted/", "test-lake/lake/tables/notification_attempted_rejects/"]
              notification_delivered_daily    = ["test-lake/lake/tables/notification_delivered/", "test-lake/lake/tables/notification_delivered_rejects/"]
              outcome_experience_lookup_daily = ["test-lake/lake/tables/outcome_experience_lookup/", "test-lake/lake/tables/experience_config_rejects/", "test-lake/athena-results/"]
              dim_customer_daily              = ["test-lake/lake/tables/dim_customer/", "test-lake/athena-results/"]
              ace_unit_calc_daily = [
                "test-lake/lake/tables/ace_engagement_daily/", "test-lake/lake/tables/ace_attempt_daily/", "test-lake/lake/tables/unattributed_deliveries/",
                "test-lake/lake/tables/ace_unit_audit/", "test-lake/lake/tables/ace_unit_agg/",
              ]
              ace_unit_monthly_output                    = ["test-exports/exports/ace_unit_monthly_output/"]
              ace_unit_monthly_outcome_experience_output = ["test-exports/exports/ace_unit_monthly_outcome_experience_output/"]
            }, job, []) : startswith(r, "arn:aws:s3:::${prefix}")
            ], [
            for prefix in concat([
              "test-lake/lake/tables/runs/job=${job}/", "test-lake/lake/_state/locks/${job}/", "test-lake/lake/_state/running/${job}/",
              "test-lake/lake/_state/published/${job}/", "test-lake/lake/_scratch/",
              ], contains(["notification_attempted_daily", "notification_delivered_daily", "ace_unit_calc_daily"], job) ? ["test-lake/lake/_shards/${job}/"] : [],
              lookup({ notification_attempted_daily = ["test-lake/lake/_routed/notification_attempted/"], notification_delivered_daily = ["test-lake/lake/_routed/notification_delivered/"] }, job, []),
            ) : startswith(r, "arn:aws:s3:::${prefix}")
          ]))
        ] if length([for a in st.Action : a if can(regex("^s3:(Put|Delete|Abort)", a))]) > 0
      ]
    ]))
    error_message = "a task role writes outside its own table, runs, _state, scratch, shards, routed stream (or export) prefixes"
  }

  # The month close's status check (exports with final) lists every raw stream and reads none.
  assert {
    condition = alltrue([
      for job in ["ace_unit_monthly_output", "ace_unit_monthly_outcome_experience_output"] : anytrue([
        for st in jsondecode(aws_iam_role_policy.task[job].policy).Statement :
        st.Action == ["s3:ListBucket"] && st.Resource == ["arn:aws:s3:::test-raw"] &&
        try(st.Condition.StringLike["s3:prefix"], []) == ["raw/notification_attempted/*", "raw/notification_delivered/*", "raw/experience_config/*"]
      ]) && !strcontains(aws_iam_role_policy.task[job].policy, "arn:aws:s3:::test-raw/")
    ])
    error_message = "the exports list the raw streams (status at month close) and read no raw object"
  }

  # Shards (--shard k/N, then --merge-shards N): exactly the shardable jobs (SHARDABLE_JOBS in
  # jobs/index.ts) read, write and list their own _shards/<job>/, and nothing else under _shards/; the
  # event streams' jobs also their own _routed/<stream>/ (--route N).
  assert {
    condition = alltrue([
      for job, p in aws_iam_role_policy.task :
      (anytrue([
        for st in jsondecode(p.policy).Statement :
        st.Resource == concat(["arn:aws:s3:::test-lake/lake/_shards/${job}/*"], lookup({
          notification_attempted_daily = ["arn:aws:s3:::test-lake/lake/_routed/notification_attempted/*"]
          notification_delivered_daily = ["arn:aws:s3:::test-lake/lake/_routed/notification_delivered/*"]
        }, job, [])) &&
        alltrue([for a in ["s3:GetObject", "s3:PutObject"] : contains(st.Action, a)]) && !contains(st.Action, "s3:DeleteObject")
        ]) && anytrue([
        for st in jsondecode(p.policy).Statement :
        contains(st.Action, "s3:ListBucket") && contains(try(st.Condition.StringLike["s3:prefix"], []), "lake/_shards/${job}/*")
      ])) == contains(["notification_attempted_daily", "notification_delivered_daily", "ace_unit_calc_daily"], job)
    ])
    error_message = "exactly the shardable jobs get, put and list their own lake/_shards/<job>/ (and delete nothing there)"
  }

  assert {
    condition = alltrue(flatten([
      for job, p in aws_iam_role_policy.task : [
        for st in jsondecode(p.policy).Statement : concat(
          [for r in st.Resource : !strcontains(r, "/_shards/") || startswith(r, "arn:aws:s3:::test-lake/lake/_shards/${job}/")],
          [for k in try(st.Condition.StringLike["s3:prefix"], []) : !strcontains(k, "_shards/") || startswith(k, "lake/_shards/${job}/")],
        )
      ]
    ]))
    error_message = "a task role reaches another job's shards"
  }

  # Every job can take its own publish lock, leave its running marker and record what it published.
  assert {
    condition = alltrue([
      for job, p in aws_iam_role_policy.task : alltrue([
        for kind in ["locks", "running", "published"] : anytrue([
          for st in jsondecode(p.policy).Statement :
          contains(st.Resource, "arn:aws:s3:::test-lake/lake/_state/${kind}/${job}/*") &&
          alltrue([for a in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] : contains(st.Action, a)])
        ])
      ]) && strcontains(p.policy, "arn:aws:s3:::test-lake/lake/tables/runs/job=${job}/*")
    ])
    error_message = "every job reads, writes and deletes its own _state/{locks,running,published}/<job>/ and writes tables/runs/job=<job>/"
  }

  # Under tables/, only the UNLOAD staging folder of dim_customer is ever deleted by a job.
  assert {
    condition = alltrue(flatten([
      for job, p in aws_iam_role_policy.task : [
        for st in jsondecode(p.policy).Statement : [
          for r in st.Resource : !startswith(r, "arn:aws:s3:::test-lake/lake/tables/") || (job == "dim_customer_daily" && r == "arn:aws:s3:::test-lake/lake/tables/dim_customer/_unload/*")
        ] if contains(st.Action, "s3:DeleteObject")
      ]
    ]))
    error_message = "a job deletes published data (only npm run gc removes versions)"
  }

  assert {
    condition = alltrue(flatten([
      for job, p in aws_iam_role_policy.task : [
        for st in jsondecode(p.policy).Statement : [
          for r in st.Resource : !can(regex(":table/", r)) || contains(concat(
            lookup({
              notification_attempted_daily    = ["notification_attempted", "notification_attempted_rejects"]
              notification_delivered_daily    = ["notification_delivered", "notification_delivered_rejects"]
              outcome_experience_lookup_daily = ["outcome_experience_lookup", "experience_config_rejects", "v_outcome_experience_lookup", "v_dim_customer"]
              dim_customer_daily              = ["dim_customer", "v_outcome_experience_lookup", "v_dim_customer"]
              ace_unit_calc_daily = [
                "ace_engagement_daily", "ace_attempt_daily", "unattributed_deliveries", "ace_unit_audit", "ace_unit_agg",
              ]
              ace_unit_monthly_output                    = []
              ace_unit_monthly_outcome_experience_output = []
            }, job, []), anytrue([for a in st.Action : can(regex("Partition$", a))]) ? ["runs"] : []
          ), element(split("/", r), 2))
        ] if anytrue([for a in st.Action : can(regex("^glue:(Create|BatchCreate|Update|Delete|BatchDelete)", a))])
      ]
    ]))
    error_message = "a task role changes a Glue table or its partitions it does not own"
  }

  assert {
    condition = alltrue([
      for job in ["notification_attempted_daily", "dim_customer_daily", "ace_unit_calc_daily"] : alltrue([
        for a in ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:GetPartition"] :
        strcontains(aws_iam_role_policy.task[job].policy, a)
      ])
    ])
    error_message = "the jobs can create and update their tables and register their partitions (GlueCatalog)"
  }

  assert {
    condition = alltrue([
      for job, p in aws_iam_role_policy.task :
      strcontains(p.policy, "secretsmanager:GetSecretValue") == (job == "dim_customer_daily") && !strcontains(p.policy, "redshift-data:")
    ])
    error_message = "only dim_customer_daily may read the warehouse secret; no Data API in select mode"
  }

  # gc: the job image with the gc CLI; lists and deletes run folders, scratch and running markers only.
  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.gc.container_definitions)[0].entryPoint == ["node", "dist/src/cli/gc.js"] &&
      jsondecode(aws_ecs_task_definition.gc.container_definitions)[0].command == ["--retention-hours", "720"] &&
      aws_ecs_task_definition.gc.task_role_arn == aws_iam_role.gc.arn
    )
    error_message = "the gc task runs node dist/src/cli/gc.js --retention-hours <gc_retention_hours> as the gc role"
  }

  assert {
    condition = alltrue(flatten([
      for st in jsondecode(aws_iam_role_policy.gc.policy).Statement : concat(
        [for a in st.Action : !can(regex("^s3:Put", a))],
        !contains(st.Action, "s3:DeleteObject") ? [] : [for r in st.Resource : contains([
          "arn:aws:s3:::test-lake/lake/tables/*/run=*", "arn:aws:s3:::test-lake/lake/_scratch/*", "arn:aws:s3:::test-lake/lake/_state/running/*",
          "arn:aws:s3:::test-lake/lake/_shards/*", "arn:aws:s3:::test-lake/lake/_routed/*/run=*",
        ], r)],
      )
    ]))
    error_message = "gc deletes only run folders, scratch, running markers, shard parts and superseded routed hours, and writes nothing"
  }

  assert {
    condition = (
      anytrue([for st in jsondecode(aws_iam_role_policy.gc.policy).Statement : contains(st.Action, "s3:DeleteObject") && contains(st.Resource, "arn:aws:s3:::test-lake/lake/_shards/*")]) &&
      anytrue([for st in jsondecode(aws_iam_role_policy.gc.policy).Statement : contains(st.Action, "s3:ListBucket") && contains(try(st.Condition.StringLike["s3:prefix"], []), "lake/_shards/*")])
    )
    error_message = "gc lists and deletes the shard parts under lake/_shards/ (npm run gc collects them)"
  }
}

run "compute_unload_mode" {
  command = apply
  module {
    source = "./modules/compute"
  }
  variables {
    name                 = "ace-unit-test"
    image                = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ace-unit:0123abc"
    raw_bucket           = "test-raw"
    lake_bucket          = "test-lake"
    lake_prefix          = "lake"
    exports_bucket       = "test-exports"
    kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    glue_database_name   = "ace_unit_test"
    athena_workgroup     = "ace-unit-test"
    athena_results       = { bucket = "test-lake", prefix = "athena-results" }
    warehouse_mode       = "unload"
    warehouse_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:warehouse-AbCdEf"
    redshift_cluster_id  = "analytics"
    redshift_database    = "dev"
    redshift_db_user     = "ace_unit"
    unload_iam_role_arn  = "arn:aws:iam::123456789012:role/redshift-unload"
  }

  assert {
    condition = anytrue([
      for st in jsondecode(aws_iam_role_policy.task["dim_customer_daily"].policy).Statement :
      st.Action == ["redshift-data:ExecuteStatement"] && st.Resource == ["arn:aws:redshift:us-east-1:123456789012:cluster:analytics"]
    ])
    error_message = "dim_customer_daily runs statements on the configured cluster only"
  }

  assert {
    condition = alltrue([
      for job, p in aws_iam_role_policy.task :
      strcontains(p.policy, "redshift-data:") == (job == "dim_customer_daily") &&
      strcontains(p.policy, "secretsmanager:GetSecretValue") == (job == "dim_customer_daily")
    ])
    error_message = "only dim_customer_daily uses the Data API and reads the warehouse secret"
  }

  assert {
    condition = anytrue([
      for st in jsondecode(aws_iam_role_policy.task["dim_customer_daily"].policy).Statement :
      contains(st.Action, "secretsmanager:GetSecretValue") && st.Resource == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:warehouse-AbCdEf"]
    ])
    error_message = "the warehouse secret, and only it"
  }

  assert {
    condition = alltrue([
      for k, v in {
        ACE_WAREHOUSE_MODE   = "unload", ACE_REDSHIFT_CLUSTER_ID = "analytics", ACE_REDSHIFT_DATABASE = "dev",
        ACE_REDSHIFT_DB_USER = "ace_unit", ACE_UNLOAD_IAM_ROLE = "arn:aws:iam::123456789012:role/redshift-unload",
      } : contains(jsondecode(aws_ecs_task_definition.job["dim_customer_daily"].container_definitions)[0].environment, { name = k, value = v })
    ]) && !strcontains(aws_ecs_task_definition.job["ace_unit_calc_daily"].container_definitions, "ACE_REDSHIFT")
    error_message = "dim_customer_daily, and only it, gets the unload settings"
  }
}

run "compute_egress_defaults_and_nat" {
  command = apply
  module {
    source = "./modules/compute"
  }
  variables {
    name                     = "ace-unit-test"
    image                    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ace-unit:0123abc"
    raw_bucket               = "test-raw"
    lake_bucket              = "test-lake"
    lake_prefix              = "lake"
    exports_bucket           = "test-exports"
    kms_key_arn              = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    glue_database_name       = "ace_unit_test"
    athena_workgroup         = "ace-unit-test"
    athena_results           = { bucket = "test-lake", prefix = "athena-results" }
    https_egress_cidr_blocks = ["10.0.0.0/16"]

    warehouse_cidr_blocks                 = []
    interface_endpoint_security_group_ids = []
  }

  assert {
    condition = (
      length(aws_security_group.tasks.egress) == 2 &&
      alltrue([for e in aws_security_group.tasks.egress : e.from_port == 443 && e.to_port == 443]) &&
      anytrue([for e in aws_security_group.tasks.egress : tolist(e.cidr_blocks) == tolist(["10.0.0.0/16"]) if e.cidr_blocks != null])
    )
    error_message = "without a warehouse CIDR there is no warehouse egress; https_egress_cidr_blocks opens 443 to exactly those CIDRs"
  }
}

# Whole-stack plans are the slow runs of this file: one for both "required" validations, one for 0.0.0.0/0.
run "egress_needs_endpoints_and_the_warehouse_address" {
  command = plan
  variables {
    interface_endpoint_security_group_ids = []
    https_egress_cidr_blocks              = []
    warehouse_cidr_blocks                 = []
  }
  expect_failures = [var.interface_endpoint_security_group_ids, var.warehouse_cidr_blocks]
}

run "warehouse_address_is_not_everywhere" {
  command = plan
  variables {
    warehouse_cidr_blocks = ["0.0.0.0/0"]
  }
  expect_failures = [var.warehouse_cidr_blocks]
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
    cluster_arn               = "arn:aws:ecs:us-east-1:123456789012:cluster/ace-unit-test"
    gc_task_definition_arn    = "arn:aws:ecs:us-east-1:123456789012:task-definition/ace-unit-test-gc:4"
    gc_pass_role_arns         = ["arn:aws:iam::123456789012:role/ace-unit-test-gc", "arn:aws:iam::123456789012:role/ace-unit-test-task-execution"]
    subnet_ids                = ["subnet-a"]
    security_group_ids        = ["sg-1"]
  }

  assert {
    condition     = alltrue([for s in aws_scheduler_schedule.this : s.schedule_expression_timezone == "America/New_York"])
    error_message = "every schedule runs in America/New_York"
  }

  assert {
    condition = (
      aws_scheduler_schedule.gc.schedule_expression_timezone == "America/New_York" &&
      aws_scheduler_schedule.gc.schedule_expression == "cron(30 2 * * ? *)" &&
      one(aws_scheduler_schedule.gc.target).arn == "arn:aws:ecs:us-east-1:123456789012:cluster/ace-unit-test" &&
      one(one(aws_scheduler_schedule.gc.target).ecs_parameters).task_definition_arn == "arn:aws:ecs:us-east-1:123456789012:task-definition/ace-unit-test-gc:4" &&
      one(one(aws_scheduler_schedule.gc.target).ecs_parameters).launch_type == "FARGATE"
    )
    error_message = "gc runs daily at 02:30 America/New_York as the gc task on the cluster"
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.gc_scheduler.policy).Statement[0].Resource == ["arn:aws:ecs:us-east-1:123456789012:task-definition/ace-unit-test-gc:*"] &&
      jsondecode(aws_iam_role_policy.gc_scheduler.policy).Statement[1].Resource == ["arn:aws:iam::123456789012:role/ace-unit-test-gc", "arn:aws:iam::123456789012:role/ace-unit-test-task-execution"]
    )
    error_message = "the gc schedule runs only the gc task and passes only its roles"
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

  assert {
    condition     = !contains(keys(aws_scheduler_schedule.this), "route_hourly")
    error_message = "without a router machine (one shard) there is no hourly schedule"
  }
}

run "schedules_sharded" {
  command = apply
  module {
    source = "./modules/scheduling"
  }
  variables {
    name                           = "ace-unit-test"
    daily_state_machine_arn        = "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-daily"
    monthly_state_machine_arn      = "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-monthly"
    route_hourly_state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-route-hourly"
    cluster_arn                    = "arn:aws:ecs:us-east-1:123456789012:cluster/ace-unit-test"
    gc_task_definition_arn         = "arn:aws:ecs:us-east-1:123456789012:task-definition/ace-unit-test-gc:4"
    gc_pass_role_arns              = ["arn:aws:iam::123456789012:role/ace-unit-test-gc"]
    subnet_ids                     = ["subnet-a"]
    security_group_ids             = ["sg-1"]
  }

  assert {
    condition = (
      aws_scheduler_schedule.this["route_hourly"].schedule_expression == "cron(20 * * * ? *)" &&
      one(aws_scheduler_schedule.this["route_hourly"].target).arn == "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-route-hourly" &&
      jsondecode(one(aws_scheduler_schedule.this["route_hourly"].target).input).hour_ending == "<aws.scheduler.scheduled-time>" &&
      contains(jsondecode(aws_iam_role_policy.scheduler.policy).Statement[0].Resource, "arn:aws:states:us-east-1:123456789012:stateMachine:ace-unit-test-route-hourly")
    )
    error_message = "sharded, the router machine starts every hour at :20 with the scheduled time, and the scheduler may start it"
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

  # A refused month close (or a failed export) fails the monthly execution: that alarms, besides the SNS message.
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.executions["monthly-ExecutionsFailed"].dimensions.StateMachineArn == "arn:aws:states:us-east-1:123456789012:stateMachine:m" &&
      aws_cloudwatch_metric_alarm.executions["monthly-ExecutionsFailed"].threshold == 0 &&
      aws_cloudwatch_metric_alarm.executions["monthly-ExecutionsFailed"].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:ace-unit-test-alerts"]) &&
      aws_cloudwatch_metric_alarm.executions["daily-ExecutionsFailed"].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:ace-unit-test-alerts"])
    )
    error_message = "a failed monthly execution (a refused month close) and a failed daily one alarm to the alerts topic"
  }
}
