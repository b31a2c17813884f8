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

# Distinct ARNs for the roles a CodeBuild project can run as (the mock gives every role the same one).
override_resource {
  target = aws_iam_role.plan
  values = { arn = "arn:aws:iam::123456789012:role/ace-unit-codebuild-plan" }
}
override_resource {
  target = aws_iam_role.deploy
  values = { arn = "arn:aws:iam::123456789012:role/ace-unit-codebuild-deploy" }
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

# Issue 13, point 12: plan ran as the deploy (administrator) role before anyone approved the change.
run "plan_is_read_only" {
  command = apply

  assert {
    condition = (
      aws_codebuild_project.this["plan"].service_role == "arn:aws:iam::123456789012:role/ace-unit-codebuild-plan" &&
      aws_codebuild_project.this["apply"].service_role == "arn:aws:iam::123456789012:role/ace-unit-codebuild-deploy" &&
      one(aws_codebuild_project.this["plan"].source).buildspec == "pipeline/buildspecs/plan.yml"
    )
    error_message = "plan runs as the plan role; only apply (after the approval) runs as the deploy role"
  }

  assert {
    condition     = aws_iam_role_policy_attachment.plan.policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess" && aws_iam_role_policy_attachment.plan.role == aws_iam_role.plan.name
    error_message = "the plan role's managed policy is ReadOnlyAccess"
  }

  # Its own policy writes only the pipeline's artifacts and logs; on the state bucket it only reads.
  assert {
    condition = alltrue(flatten([
      for st in jsondecode(aws_iam_role_policy.plan.policy).Statement : [
        for a in st.Action : contains([
          "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "kms:Decrypt", "kms:DescribeKey", "logs:CreateLogStream", "logs:PutLogEvents",
          ], a) || (contains(["s3:PutObject", "kms:GenerateDataKey"], a) && alltrue([
            for r in st.Resource : !startswith(r, aws_s3_bucket.this["state"].arn)
        ]))
      ]
    ]))
    error_message = "the plan role writes nothing but its plan artifact and logs"
  }

  assert {
    condition = anytrue([
      for st in jsondecode(aws_iam_role_policy.plan.policy).Statement :
      st.Action == ["s3:GetObject"] && st.Resource == ["${aws_s3_bucket.this["state"].arn}/infrastructure/prod.tfstate"]
    ])
    error_message = "the plan role reads the deployed environment's state object"
  }

  assert {
    condition = alltrue([
      for st in jsondecode(aws_iam_role_policy.plan.policy).Statement :
      !contains(st.Action, "s3:PutObject") && !contains(st.Action, "s3:DeleteObject") if anytrue([for r in st.Resource : startswith(r, aws_s3_bucket.this["state"].arn)])
    ])
    error_message = "the plan role cannot write or delete the state (or its lock)"
  }
}

run "plan_policy_must_be_read_only" {
  command = plan
  variables {
    plan_policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
  }
  expect_failures = [var.plan_policy_arn]
}
