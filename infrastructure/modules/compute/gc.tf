# npm run gc (src/lake/gc.ts) as a task of the job image: the ENTRYPOINT is overridden with the gc CLI.
# It deletes run folders that are not the current version (superseded, or left by killed runs),
# scratch and stale running markers, once older than gc_retention_hours. Publishers never delete or
# tag anything: this task is the only remover of versions. modules/scheduling runs it daily.

locals {
  gc_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ListLakeCollectable"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [local.lake_arn]
        Condition = { StringLike = { "s3:prefix" = ["${local.tables_key}/*", "${var.lake_prefix}/_scratch/*", "${var.lake_prefix}/_state/running/*", "${var.lake_prefix}/_shards/*", "${var.lake_prefix}/_routed/*"] } }
      },
      {
        # Which version is current: the partition pointers, nothing else.
        Sid      = "ReadPointers"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.lake_arn}/${local.tables_key}/*/_current.json"]
      },
      {
        # Which run left a shard part (its _meta.json), to judge its age.
        Sid      = "ReadShardMeta"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.lake_arn}/${var.lake_prefix}/_shards/*/_meta.json"]
      },
      {
        # Which route run an arrival hour's shards read (its _manifest.json).
        Sid      = "ReadRouteManifests"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.lake_arn}/${var.lake_prefix}/_routed/*/_manifest.json"]
      },
      {
        # Run folders (…/<key>=<value>/run=<id>/, …/_unload/run=<id>/) and shard parts: never a pointer or the ledger.
        Sid    = "DeleteCollectable"
        Effect = "Allow"
        Action = ["s3:DeleteObject"]
        Resource = [
          "${local.lake_arn}/${local.tables_key}/*/run=*",
          "${local.lake_arn}/${var.lake_prefix}/_scratch/*",
          "${local.lake_arn}/${var.lake_prefix}/_state/running/*",
          "${local.lake_arn}/${var.lake_prefix}/_shards/*",
          "${local.lake_arn}/${var.lake_prefix}/_routed/*/run=*",
        ]
      },
      {
        Sid      = "UseDataKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [var.kms_key_arn]
      },
    ]
  })
}

resource "aws_cloudwatch_log_group" "gc" {
  name              = "/${var.name}/jobs/gc"
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "gc" {
  name        = "${var.name}-gc"
  description = "Task role of npm run gc: list the lake, read pointers, delete superseded run folders, scratch and stale markers."
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

resource "aws_iam_role_policy" "gc" {
  name   = "collect-garbage"
  role   = aws_iam_role.gc.id
  policy = local.gc_policy
}

resource "aws_ecs_task_definition" "gc" {
  family                   = "${var.name}-gc"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(local.gc.cpu)
  memory                   = tostring(local.gc.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.gc.arn

  ephemeral_storage {
    size_in_gib = local.gc.ephemeral_gib
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = local.scratch.volume
  }

  container_definitions = jsonencode([{
    name                   = "gc"
    image                  = var.image
    essential              = true
    entryPoint             = ["node", "dist/src/cli/gc.js"]
    command                = ["--retention-hours", tostring(var.gc_retention_hours)]
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = local.scratch.volume, containerPath = local.scratch.path, readOnly = false }]
    environment = [
      for k, v in merge(local.common_environment, local.scratch.environment) : { name = k, value = v }
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.gc.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "gc"
      }
    }
  }])
}
