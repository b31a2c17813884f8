# CodePipeline: source -> CodeBuild (npm ci, npm test, image to ECR tagged by commit)
#   -> terraform plan -> manual approval -> terraform apply (of that very plan).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  buckets = {
    artifacts = "${var.name}-pipeline-artifacts-${local.account}"
    state     = "${var.name}-terraform-state-${local.account}"
  }
  state_key = "infrastructure/${var.environment}.tfstate"
}

resource "aws_kms_key" "pipeline" {
  description         = "${var.name}: pipeline artifacts, Terraform state and images"
  enable_key_rotation = true
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets
  bucket   = each.value
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.pipeline.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.this["state"].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [each.value.arn, "${each.value.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_ecr_repository" "jobs" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.pipeline.arn
  }
}

resource "aws_ecr_lifecycle_policy" "jobs" {
  repository = aws_ecr_repository.jobs.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 100 images (rollbacks and reruns of old commits)"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 100 }
      action       = { type = "expire" }
    }]
  })
}

# Completed by hand once in the console (Settings > Connections), then the pipeline can read the repo.
resource "aws_codestarconnections_connection" "source" {
  name          = "${var.name}-source"
  provider_type = var.connection_provider
}

resource "aws_cloudwatch_log_group" "builds" {
  name              = "/${var.name}/codebuild"
  retention_in_days = 30
}

resource "aws_sns_topic" "approvals" {
  name = "${var.name}-deploy-approvals"
}

resource "aws_sns_topic_subscription" "approvals" {
  for_each  = toset(var.approval_emails)
  topic_arn = aws_sns_topic.approvals.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  codebuild_env = [
    { name = "ENVIRONMENT", value = var.environment },
    { name = "IMAGE_REPO_URL", value = aws_ecr_repository.jobs.repository_url },
    { name = "TF_STATE_BUCKET", value = aws_s3_bucket.this["state"].bucket },
    { name = "TF_STATE_KEY", value = local.state_key },
  ]
  projects = {
    build = { role = aws_iam_role.build.arn, buildspec = "buildspec.yml", privileged = true, timeout = 60 }
    plan  = { role = aws_iam_role.plan.arn, buildspec = "pipeline/buildspecs/plan.yml", privileged = false, timeout = 30 }
    apply = { role = aws_iam_role.deploy.arn, buildspec = "pipeline/buildspecs/apply.yml", privileged = false, timeout = 60 }
  }
}

resource "aws_codebuild_project" "this" {
  for_each = local.projects

  name           = "${var.name}-${each.key}"
  service_role   = each.value.role
  build_timeout  = each.value.timeout
  encryption_key = aws_kms_key.pipeline.arn

  artifacts {
    type = "CODEPIPELINE"
  }

  source {
    type      = "CODEPIPELINE"
    buildspec = each.value.buildspec
  }

  environment {
    compute_type    = "BUILD_GENERAL1_MEDIUM"
    image           = "aws/codebuild/standard:7.0"
    type            = "LINUX_CONTAINER"
    privileged_mode = each.value.privileged

    dynamic "environment_variable" {
      for_each = local.codebuild_env
      content {
        name  = environment_variable.value.name
        value = environment_variable.value.value
      }
    }
  }

  logs_config {
    cloudwatch_logs {
      group_name  = aws_cloudwatch_log_group.builds.name
      stream_name = each.key
    }
  }
}

resource "aws_codepipeline" "this" {
  name          = var.name
  role_arn      = aws_iam_role.pipeline.arn
  pipeline_type = "V2"

  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.this["artifacts"].bucket
    encryption_key {
      id   = aws_kms_key.pipeline.arn
      type = "KMS"
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["Source"]
      configuration = {
        ConnectionArn    = aws_codestarconnections_connection.source.arn
        FullRepositoryId = var.repository_id
        BranchName       = var.branch
      }
    }
  }

  stage {
    name = "Build"
    action {
      name             = "TestAndImage"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      namespace        = "Build"
      input_artifacts  = ["Source"]
      output_artifacts = ["Image"]
      configuration    = { ProjectName = aws_codebuild_project.this["build"].name }
    }
  }

  stage {
    name = "Plan"
    action {
      name             = "TerraformPlan"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["Source"]
      output_artifacts = ["PlanOutput"]
      configuration = {
        ProjectName          = aws_codebuild_project.this["plan"].name
        EnvironmentVariables = jsonencode([{ name = "IMAGE_TAG", value = "#{Build.IMAGE_TAG}", type = "PLAINTEXT" }])
      }
    }
  }

  stage {
    name = "Approve"
    action {
      name     = "ReviewPlan"
      category = "Approval"
      owner    = "AWS"
      provider = "Manual"
      version  = "1"
      configuration = {
        NotificationArn = aws_sns_topic.approvals.arn
        CustomData      = "Review the terraform plan (plan.txt in the Plan stage's artifact or its CodeBuild log) before approving."
      }
    }
  }

  stage {
    name = "Apply"
    action {
      name            = "TerraformApply"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["Source", "PlanOutput"]
      configuration = {
        ProjectName   = aws_codebuild_project.this["apply"].name
        PrimarySource = "Source"
      }
    }
  }
}
