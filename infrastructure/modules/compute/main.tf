# The ECS cluster, one Fargate task definition, log group and least-privilege task role per job.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name

  raw_arn     = "arn:${local.partition}:s3:::${var.raw_bucket}"
  lake_arn    = "arn:${local.partition}:s3:::${var.lake_bucket}"
  exports_arn = "arn:${local.partition}:s3:::${var.exports_bucket}"
  tables_key  = "${var.lake_prefix}/tables"

  glue_catalog_arn  = "arn:${local.partition}:glue:${local.region}:${local.account}:catalog"
  glue_database_arn = "arn:${local.partition}:glue:${local.region}:${local.account}:database/${var.glue_database_name}"
  glue_table_arn    = "arn:${local.partition}:glue:${local.region}:${local.account}:table/${var.glue_database_name}"
  athena_wg_arn     = "arn:${local.partition}:athena:${local.region}:${local.account}:workgroup/${var.athena_workgroup}"
  results_arn       = "arn:${local.partition}:s3:::${var.athena_results.bucket}"

  # The orchestration module's alerts topic ("<name>-alerts"), built by name: orchestration depends on this module.
  alerts_topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account}:${var.name}-alerts"

  # The tables the two views read (src/catalog/glue/views.ts): Athena checks them when it creates a view.
  view_sources = ["outcome_experience_lookup", "dim_customer"]

  # Lake layout (src/lake/publish.ts, coordination.ts, ledger.ts):
  #   tables/<table>/<key>=<value>/run=<run_id>/...   a version; _current.json next to run=* folders
  #   tables/runs/job=<job>/<run_id>.parquet          the run ledger (append-only)
  #   _state/{locks,running,published}/<job>/...      publish lock, running markers, published record
  #   _scratch/<run_id>/                              scratch of a run (local stores; cleaned by gc)
  #   _shards/<job>/<date>/n=<N>/k=<K>/               a shard's part, read by the merge (cleaned by gc)
  #   _routed/<stream>/YYYY/MM/DD/HH/n=<N>/           an arrival hour's lines split into N shards (--route N)
  # Key prefixes (inside the lake / exports buckets) each job may write: its own tables and its own
  # partition of the runs table. Nothing under tables/ is deleted by a job (gc does that), except the
  # UNLOAD staging folder of dim_customer_daily.
  write_keys = {
    for job, j in local.jobs : job => concat(
      [for t in j.writes : "${local.tables_key}/${t}/"],
      ["${local.tables_key}/runs/job=${job}/"],
    )
  }
  state_keys = {
    for job, j in local.jobs : job => concat(
      [for kind in ["locks", "running", "published"] : "${var.lake_prefix}/_state/${kind}/${job}/"],
      ["${var.lake_prefix}/_scratch/"],
    )
  }
  export_keys = { for job, j in local.jobs : job => j.exports ? ["exports/${job}/"] : [] }
  # --shard k/N writes its part under _shards/<job>/<date>/n=N/k=K/; --merge-shards N reads them all.
  # An event stream's job also routes its raw lines (--route N) under _routed/<stream>/ and its shards read them.
  shard_keys = {
    for job, j in local.jobs : job => j.shards ? concat(["${var.lake_prefix}/_shards/${job}/"], [for s in j.raw_streams : "${var.lake_prefix}/_routed/${s}/"]) : []
  }
  read_keys = {
    for job, j in local.jobs : job => concat(
      [for t in distinct(concat(j.reads, j.writes)) : "${local.tables_key}/${t}/"],
      ["${local.tables_key}/runs/job=${job}/"],
    )
  }
  unload_staging_key = "${local.tables_key}/dim_customer/_unload/"
  glue_reads = {
    for job, j in local.jobs : job => distinct(concat(j.reads, j.writes, ["runs"], j.views ? local.view_sources : []))
  }

  unload = var.warehouse_mode == "unload"
  redshift_cluster_arn = var.redshift_cluster_id == "" ? null : (
    "arn:${local.partition}:redshift:${local.region}:${local.account}:cluster:${var.redshift_cluster_id}"
  )
  redshift_workgroup_arn = var.redshift_workgroup == "" ? null : one(data.aws_redshiftserverless_workgroup.unload[*].arn)

  # Actions only, never wildcards; each statement names its resources. A statement a job does not
  # need is null and filtered out.
  task_policies = {
    for job, j in local.jobs : job => jsonencode({
      Version = "2012-10-17"
      Statement = [for st in [
        length(j.raw_streams) == 0 ? null : {
          Sid      = "ReadOwnRawStreams"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = [for s in j.raw_streams : "${local.raw_arn}/raw/${s}/*"]
        },
        length(concat(j.raw_streams, j.lists_raw)) == 0 ? null : {
          # Its own streams; for the exports, the streams the month close's status check lists (no reads).
          Sid       = "ListOwnRawStreams"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = [local.raw_arn]
          Condition = { StringLike = { "s3:prefix" = [for s in distinct(concat(j.raw_streams, j.lists_raw)) : "raw/${s}/*"] } }
        },
        {
          Sid      = "ReadInputAndOwnTables"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = [for k in local.read_keys[job] : "${local.lake_arn}/${k}*"]
        },
        {
          Sid       = "ListInputAndOwnTablesAndState"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = [local.lake_arn]
          Condition = { StringLike = { "s3:prefix" = [for k in concat(local.read_keys[job], local.state_keys[job], local.shard_keys[job]) : "${k}*"] } }
        },
        {
          Sid      = "WriteOwnTablePrefixes"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
          Resource = [for k in local.write_keys[job] : "${local.lake_arn}/${k}*"]
        },
        {
          # Publish lock (created with If-None-Match), running markers, published record, scratch.
          Sid      = "OwnCoordinationState"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
          Resource = [for k in local.state_keys[job] : "${local.lake_arn}/${k}*"]
        },
        !j.shards ? null : {
          # Its own shards only; gc removes them (modules/compute/gc.tf), never a job.
          Sid      = "OwnShards"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
          Resource = [for k in local.shard_keys[job] : "${local.lake_arn}/${k}*"]
        },
        !j.warehouse ? null : {
          # UNLOAD writes here (as ACE_UNLOAD_IAM_ROLE); the job reads the files, then deletes them.
          Sid      = "CleanUnloadStaging"
          Effect   = "Allow"
          Action   = ["s3:DeleteObject"]
          Resource = ["${local.lake_arn}/${local.unload_staging_key}*"]
        },
        {
          Sid    = "ReadCatalog"
          Effect = "Allow"
          Action = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
          Resource = concat(
            [local.glue_catalog_arn, local.glue_database_arn],
            [for t in local.glue_reads[job] : "${local.glue_table_arn}/${t}"],
          )
        },
        length(j.writes) == 0 ? null : {
          # GlueCatalog.ensureTable: creates or updates its own tables when they differ from the code.
          Sid      = "ManageOwnTables"
          Effect   = "Allow"
          Action   = ["glue:CreateTable", "glue:UpdateTable"]
          Resource = concat([local.glue_catalog_arn, local.glue_database_arn], [for t in j.writes : "${local.glue_table_arn}/${t}"])
        },
        {
          # The swap: BatchCreatePartition, or UpdatePartition when the partition exists.
          Sid    = "RegisterOwnPartitions"
          Effect = "Allow"
          Action = ["glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition"]
          Resource = concat(
            [local.glue_catalog_arn, local.glue_database_arn],
            [for t in concat(j.writes, ["runs"]) : "${local.glue_table_arn}/${t}"],
          )
        },
        !j.views ? null : {
          Sid      = "CreateViewsInAthena"
          Effect   = "Allow"
          Action   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"]
          Resource = [local.athena_wg_arn]
        },
        !j.views ? null : {
          Sid      = "ManageViews"
          Effect   = "Allow"
          Action   = ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable"]
          Resource = concat([local.glue_catalog_arn, local.glue_database_arn], [for v in var.view_names : "${local.glue_table_arn}/${v}"])
        },
        !j.views ? null : {
          Sid      = "AthenaResults"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
          Resource = ["${local.results_arn}/${var.athena_results.prefix}/*"]
        },
        !j.views ? null : {
          Sid       = "AthenaResultsLocation"
          Effect    = "Allow"
          Action    = ["s3:GetBucketLocation", "s3:ListBucket"]
          Resource  = [local.results_arn]
          Condition = { StringLike = { "s3:prefix" = ["${var.athena_results.prefix}/*", ""] } }
        },
        {
          Sid      = "PublishAnomalyAlerts" # src/ops/anomalyChecks.ts
          Effect   = "Allow"
          Action   = ["sns:Publish"]
          Resource = [local.alerts_topic_arn]
        },
        {
          Sid      = "UseDataKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = [var.kms_key_arn]
        },
        !j.exports ? null : {
          Sid      = "WriteOwnExports"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
          Resource = [for k in local.export_keys[job] : "${local.exports_arn}/${k}*"]
        },
        !j.exports ? null : {
          Sid       = "ListOwnExports"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = [local.exports_arn]
          Condition = { StringLike = { "s3:prefix" = [for k in local.export_keys[job] : "${k}*"] } }
        },
        !(j.warehouse && var.warehouse_secret_arn != "") ? null : {
          Sid      = "ReadWarehouseSecret"
          Effect   = "Allow"
          Action   = ["secretsmanager:GetSecretValue"]
          Resource = [var.warehouse_secret_arn]
        },
        !(j.warehouse && local.unload) ? null : {
          Sid      = "RunUnloadStatement"
          Effect   = "Allow"
          Action   = ["redshift-data:ExecuteStatement"]
          Resource = compact([local.redshift_cluster_arn, local.redshift_workgroup_arn])
        },
        !(j.warehouse && local.unload) ? null : {
          # These actions take no resource: they are limited to the statements this role started.
          Sid       = "FollowOwnStatements"
          Effect    = "Allow"
          Action    = ["redshift-data:DescribeStatement", "redshift-data:CancelStatement", "redshift-data:GetStatementResult"]
          Resource  = ["*"]
          Condition = { StringEquals = { "redshift-data:statement-owner-iam-userid" = "$${aws:userid}" } }
        },
        !(j.warehouse && local.unload && var.redshift_cluster_id != "" && var.redshift_db_user != "") ? null : {
          Sid    = "ClusterTemporaryCredentials"
          Effect = "Allow"
          Action = ["redshift:GetClusterCredentials"]
          Resource = [
            "arn:${local.partition}:redshift:${local.region}:${local.account}:dbuser:${var.redshift_cluster_id}/${var.redshift_db_user}",
            "arn:${local.partition}:redshift:${local.region}:${local.account}:dbname:${var.redshift_cluster_id}/${var.redshift_database}",
          ]
        },
        !(j.warehouse && local.unload && var.redshift_workgroup != "") ? null : {
          Sid      = "ServerlessTemporaryCredentials"
          Effect   = "Allow"
          Action   = ["redshift-serverless:GetCredentials"]
          Resource = compact([local.redshift_workgroup_arn])
        },
      ] : st if st != null]
    })
  }

  code_version = regex("[^:/]+$", var.image)

  common_environment = {
    ACE_LAKE_ROOT        = "s3://${var.lake_bucket}/${var.lake_prefix}"
    ACE_RAW_ROOT         = "s3://${var.raw_bucket}/raw"
    ACE_EXPORT_ROOT      = "s3://${var.exports_bucket}/exports"
    ACE_CATALOG          = "glue"
    ACE_GLUE_DATABASE    = var.glue_database_name
    ACE_ATHENA_WORKGROUP = var.athena_workgroup # enforces its own results location: no ACE_ATHENA_OUTPUT
    ACE_LATENESS_HOURS   = "48"                 # the scheduled daily plan (src/graph/stepfunctions.ts) assumes 48
    ACE_CODE_VERSION     = local.code_version   # the image tag, recorded in the runs ledger
    AWS_REGION           = local.region
    NODE_ENV             = "production"
  }
  warehouse_environment = { for k, v in {
    ACE_WAREHOUSE_MODE       = var.warehouse_mode
    ACE_WAREHOUSE_URL        = var.warehouse_url
    ACE_WAREHOUSE_SECRET_ARN = var.warehouse_secret_arn
    ACE_REDSHIFT_CLUSTER_ID  = local.unload ? var.redshift_cluster_id : ""
    ACE_REDSHIFT_WORKGROUP   = local.unload ? var.redshift_workgroup : ""
    ACE_REDSHIFT_DATABASE    = local.unload ? var.redshift_database : ""
    ACE_REDSHIFT_DB_USER     = local.unload ? var.redshift_db_user : ""
    ACE_UNLOAD_IAM_ROLE      = local.unload ? var.unload_iam_role_arn : ""
  } : k => v if v != "" }
}

# The Serverless workgroup's ARN holds its id, not its name: look it up (unload mode only).
data "aws_redshiftserverless_workgroup" "unload" {
  count = var.warehouse_mode == "unload" && var.redshift_workgroup != "" ? 1 : 0

  workgroup_name = var.redshift_workgroup
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]
}

# S3's managed prefix list (the routes of the S3 gateway endpoint): the tasks reach S3 through it.
data "aws_prefix_list" "s3" {
  name = "com.amazonaws.${local.region}.s3"
}

# No inbound rule. Outbound only: HTTPS to S3 (prefix list) and to the VPC's interface endpoints (their
# security groups: ECR, Logs, Glue, Athena, Secrets Manager, Redshift Data, STS, ...), HTTPS to
# https_egress_cidr_blocks only if set (subnets behind a NAT gateway), and the warehouse port to the
# warehouse's addresses only. DNS (the VPC resolver) and the ECS credentials endpoint are not filtered
# by security groups. The description stays as it was: changing it would replace the group.
resource "aws_security_group" "tasks" {
  name        = "${var.name}-jobs"
  description = "ace-unit job tasks: no inbound; HTTPS to AWS APIs and the warehouse port out"
  vpc_id      = var.vpc_id

  egress {
    description     = "S3 over HTTPS (gateway endpoint prefix list)"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [data.aws_prefix_list.s3.id]
  }

  dynamic "egress" {
    for_each = length(var.interface_endpoint_security_group_ids) == 0 ? [] : [1]
    content {
      description     = "AWS APIs over HTTPS through the VPC interface endpoints"
      from_port       = 443
      to_port         = 443
      protocol        = "tcp"
      security_groups = var.interface_endpoint_security_group_ids
    }
  }

  dynamic "egress" {
    for_each = length(var.https_egress_cidr_blocks) == 0 ? [] : [1]
    content {
      description = "AWS APIs over HTTPS without interface endpoints (NAT)"
      from_port   = 443
      to_port     = 443
      protocol    = "tcp"
      cidr_blocks = var.https_egress_cidr_blocks
    }
  }

  dynamic "egress" {
    for_each = length(var.warehouse_cidr_blocks) == 0 ? [] : [1]
    content {
      description = "Warehouse (Redshift / PostgreSQL wire protocol) for dim_customer_daily"
      from_port   = var.warehouse_port
      to_port     = var.warehouse_port
      protocol    = "tcp"
      cidr_blocks = var.warehouse_cidr_blocks
    }
  }
}

resource "aws_cloudwatch_log_group" "job" {
  for_each = local.jobs

  name              = "/${var.name}/jobs/${each.key}"
  retention_in_days = var.log_retention_days
}

# Shared execution role: pulls the image and writes the logs; it never touches data.
resource "aws_iam_role" "execution" {
  name = "${var.name}-task-execution"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ecs-tasks.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "task" {
  for_each = local.jobs

  # IAM role names are limited to 64 characters.
  name        = substr("${var.name}-${replace(each.key, "_", "-")}", 0, 64)
  description = "Task role of the ${each.key} job: its inputs, its own table prefixes, nothing else."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

resource "aws_iam_role_policy" "task" {
  for_each = local.jobs

  name   = "data-access"
  role   = aws_iam_role.task[each.key].id
  policy = local.task_policies[each.key]
}

resource "aws_ecs_task_definition" "job" {
  for_each = local.jobs

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(each.value.cpu)
  memory                   = tostring(each.value.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task[each.key].arn

  ephemeral_storage {
    size_in_gib = each.value.ephemeral_gib
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = local.scratch.volume
  }

  container_definitions = jsonencode([{
    name      = "job" # CONTAINER_NAME in src/graph/stepfunctions.ts
    image     = var.image
    essential = true
    # ENTRYPOINT is the job CLI; the state machine overrides the command with [job, --date|--month, value].
    command                = [each.key, "--help"]
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = local.scratch.volume, containerPath = local.scratch.path, readOnly = false }]
    environment = [
      for k, v in merge(local.common_environment, local.scratch.environment, { ACE_ALERTS_TOPIC_ARN = local.alerts_topic_arn }, each.value.warehouse ? local.warehouse_environment : {}) : { name = k, value = v }
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.job[each.key].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "job"
      }
    }
  }])
}
