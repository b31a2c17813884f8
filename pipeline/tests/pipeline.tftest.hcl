# terraform test with a mocked AWS provider (no account, no network).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:root", user_id = "test" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/ace-unit-mock" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:ace-unit-deploy-approvals" }
  }
  mock_resource "aws_codestarconnections_connection" {
    defaults = { arn = "arn:aws:codeconnections:us-east-1:123456789012:connection/mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ace-unit/codebuild" }
  }
}

variables {
  repository_id = "example/ace-unit"
}

run "pipeline" {
  command = apply

  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == ["Source", "Build", "Plan", "Approve", "Apply"]
    error_message = "source -> build -> plan -> manual approval -> apply"
  }

  assert {
    condition     = aws_codepipeline.this.stage[3].action[0].category == "Approval" && aws_codepipeline.this.stage[3].action[0].provider == "Manual"
    error_message = "the approval is manual"
  }

  assert {
    condition     = one(aws_codebuild_project.this["build"].source).buildspec == "buildspec.yml" && one(aws_codebuild_project.this["build"].environment).privileged_mode
    error_message = "the build stage runs buildspec.yml with Docker"
  }

  assert {
    condition     = aws_ecr_repository.jobs.image_tag_mutability == "IMMUTABLE"
    error_message = "an image tag (a commit) always means the same image"
  }

  assert {
    condition = alltrue([
      for b in aws_s3_bucket_public_access_block.this :
      b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets
    ]) && alltrue([for p in aws_s3_bucket_policy.tls_only : strcontains(p.policy, "aws:SecureTransport")])
    error_message = "pipeline buckets block public access and deny non-TLS requests"
  }
}
