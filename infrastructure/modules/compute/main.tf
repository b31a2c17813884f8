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

  # Key prefixes (inside the lake / exports buckets) each job may write; every job records its runs
  # under its own partition of the runs table.
  write_keys = {
    for job, j in local.jobs : job => concat(
      [for t in j.writes : "${local.tables_key}/${t}/"],
      ["${local.tables_key}/runs/job=${job}/"],
    )
  }
  export_keys = { for job, j in local.jobs : job => j.exports ? ["exports/${job}/"] : [] }
  read_keys = {
    for job, j in local.jobs : job => concat(
      [for t in distinct(concat(j.reads, j.writes)) : "${local.tables_key}/${t}/"],
      ["${local.tables_key}/runs/job=${job}/"],
    )
  }
  glue_tables = { for job, j in local.jobs : job => distinct(concat(j.reads, j.writes, ["runs"])) }
  glue_writes = { for job, j in local.jobs : job => concat(j.writes, ["runs"]) }

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
        length(j.raw_streams) == 0 ? null : {
          Sid       = "ListOwnRawStreams"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = [local.raw_arn]
          Condition = { StringLike = { "s3:prefix" = [for s in j.raw_streams : "raw/${s}/*"] } }
        },
        {
          Sid      = "ReadInputAndOwnTables"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = [for k in local.read_keys[job] : "${local.lake_arn}/${k}*"]
        },
        {
          Sid       = "ListInputAndOwnTables"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = [local.lake_arn]
          Condition = { StringLike = { "s3:prefix" = [for k in local.read_keys[job] : "${k}*"] } }
        },
        {
          Sid      = "WriteOwnTablePrefixes"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:AbortMultipartUpload"]
          Resource = [for k in local.write_keys[job] : "${local.lake_arn}/${k}*"]
        },
        {
          Sid    = "ReadCatalog"
          Effect = "Allow"
          Action = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
          Resource = concat(
            [local.glue_catalog_arn, local.glue_database_arn],
            [for t in local.glue_tables[job] : "${local.glue_table_arn}/${t}"],
          )
        },
        {
          Sid    = "RegisterOwnPartitions"
          Effect = "Allow"
          Action = [
            "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition",
            "glue:DeletePartition", "glue:BatchDeletePartition",
          ]
          Resource = concat(
            [local.glue_catalog_arn, local.glue_database_arn],
            [for t in local.glue_writes[job] : "${local.glue_table_arn}/${t}"],
          )
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
      ] : st if st != null]
    })
  }

  common_environment = {
    ACE_LAKE_ROOT      = "s3://${var.lake_bucket}/${var.lake_prefix}"
    ACE_RAW_ROOT       = "s3://${var.raw_bucket}/raw"
    ACE_EXPORT_ROOT    = "s3://${var.exports_bucket}/exports"
    ACE_CATALOG        = "glue"
    ACE_GLUE_DATABASE  = var.glue_database_name
    ACE_LATENESS_HOURS = "48" # the scheduled daily plan (src/graph/stepfunctions.ts) assumes 48
    AWS_REGION         = local.region
    NODE_ENV           = "production"
  }
  warehouse_environment = merge(
    { ACE_WAREHOUSE_URL = var.warehouse_url },
    var.warehouse_secret_arn == "" ? {} : { ACE_WAREHOUSE_SECRET_ARN = var.warehouse_secret_arn },
  )
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

resource "aws_security_group" "tasks" {
  name        = "${var.name}-jobs"
  description = "ace-unit job tasks: no inbound; HTTPS to AWS APIs and the warehouse port out"
  vpc_id      = var.vpc_id

  egress {
    description = "AWS APIs (S3, Glue, ECR, Logs, Secrets Manager) over HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description = "Warehouse (Redshift / PostgreSQL wire protocol) for dim_customer_daily"
    from_port   = var.warehouse_port
    to_port     = var.warehouse_port
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
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

  container_definitions = jsonencode([{
    name      = "job" # CONTAINER_NAME in src/graph/stepfunctions.ts
    image     = var.image
    essential = true
    # ENTRYPOINT is the job CLI; the state machine overrides the command with [job, --date|--month, value].
    command = [each.key, "--help"]
    environment = [
      for k, v in merge(local.common_environment, each.value.warehouse ? local.warehouse_environment : {}) : { name = k, value = v }
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
