locals {
  codebuild_trust = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "codebuild.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  artifact_access = {
    Sid      = "PipelineArtifacts"
    Effect   = "Allow"
    Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    Resource = ["${aws_s3_bucket.this["artifacts"].arn}/*"]
  }
  key_access = {
    Sid      = "PipelineKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    Resource = [aws_kms_key.pipeline.arn]
  }
  build_logs = {
    Sid      = "BuildLogs"
    Effect   = "Allow"
    Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    Resource = ["${aws_cloudwatch_log_group.builds.arn}:*"]
  }
}

resource "aws_iam_role" "pipeline" {
  name = "${var.name}-codepipeline"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "codepipeline.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "pipeline" {
  name = "run-pipeline"
  role = aws_iam_role.pipeline.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.artifact_access,
      local.key_access,
      { Sid = "Source", Effect = "Allow", Action = ["codestar-connections:UseConnection", "codeconnections:UseConnection"], Resource = [aws_codestarconnections_connection.source.arn] },
      { Sid = "Builds", Effect = "Allow", Action = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], Resource = [for p in aws_codebuild_project.this : p.arn] },
      { Sid = "Approvals", Effect = "Allow", Action = ["sns:Publish"], Resource = [aws_sns_topic.approvals.arn] },
    ]
  })
}

# Build: tests and the image. Pushes to its own repository only.
resource "aws_iam_role" "build" {
  name               = "${var.name}-codebuild-build"
  assume_role_policy = local.codebuild_trust
}

resource "aws_iam_role_policy" "build" {
  name = "test-and-push"
  role = aws_iam_role.build.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.artifact_access,
      local.key_access,
      local.build_logs,
      { Sid = "EcrLogin", Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = ["*"] },
      {
        Sid    = "PushImage"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
        ]
        Resource = [aws_ecr_repository.jobs.arn]
      },
    ]
  })
}

# Plan: runs before anyone approved anything, so it can only read. var.plan_policy_arn (ReadOnlyAccess by
# default) covers the describe/list/get calls of a refresh; this policy adds reading the state object (no
# lock: plan runs with -lock=false) and decrypting it, writing the plan artifact, and the build logs.
resource "aws_iam_role" "plan" {
  name               = "${var.name}-codebuild-plan"
  assume_role_policy = local.codebuild_trust
}

resource "aws_iam_role_policy_attachment" "plan" {
  role       = aws_iam_role.plan.name
  policy_arn = var.plan_policy_arn
}

resource "aws_iam_role_policy" "plan" {
  name = "read-state-write-plan"
  role = aws_iam_role.plan.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.artifact_access,
      local.key_access,
      local.build_logs,
      {
        Sid      = "ReadTerraformState"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.this["state"].arn}/${local.state_key}"]
      },
      {
        Sid       = "ListTerraformState"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [aws_s3_bucket.this["state"].arn]
        Condition = { StringLike = { "s3:prefix" = [local.state_key, "env:/*"] } }
      },
    ]
  })
}

# Apply: Terraform manages the whole stack, so this role is broad (var.deploy_policy_arn). Only the
# apply project, after the manual approval, runs as it.
resource "aws_iam_role" "deploy" {
  name               = "${var.name}-codebuild-deploy"
  assume_role_policy = local.codebuild_trust
}

resource "aws_iam_role_policy_attachment" "deploy" {
  role       = aws_iam_role.deploy.name
  policy_arn = var.deploy_policy_arn
}

resource "aws_iam_role_policy" "deploy" {
  name = "state-and-artifacts"
  role = aws_iam_role.deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.artifact_access,
      local.key_access,
      local.build_logs,
      {
        Sid      = "TerraformState"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
        Resource = [aws_s3_bucket.this["state"].arn, "${aws_s3_bucket.this["state"].arn}/*"]
      },
    ]
  })
}
