variable "region" {
  description = "AWS region of the pipeline (and of the deployed stack)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name prefix of the pipeline resources."
  type        = string
  default     = "ace-unit"
}

variable "environment" {
  description = "Environment the pipeline deploys: infrastructure/environments/<environment>.tfvars."
  type        = string
  default     = "prod"
}

variable "repository_id" {
  description = "Source repository as owner/name."
  type        = string
}

variable "branch" {
  description = "Branch that is built and deployed."
  type        = string
  default     = "main"
}

variable "connection_provider" {
  description = "CodeConnections provider of the repository (GitHub, GitLab, Bitbucket, ...)."
  type        = string
  default     = "GitHub"
}

variable "approval_emails" {
  description = "E-mail addresses told when a plan waits for approval."
  type        = list(string)
  default     = []
}

variable "deploy_policy_arn" {
  description = "Managed policy of the apply role (the plan role gets plan_policy_arn). Terraform creates IAM roles, buckets, ECS, Step Functions and more; narrow it (or add a permissions boundary) to your account's rules."
  type        = string
  default     = "arn:aws:iam::aws:policy/AdministratorAccess"
}

variable "plan_policy_arn" {
  description = "Managed policy of the plan role, which runs before the manual approval: read-only. It must allow the describe/list/get calls of a refresh of infrastructure/ and nothing that changes a resource."
  type        = string
  default     = "arn:aws:iam::aws:policy/ReadOnlyAccess"

  validation {
    condition     = !can(regex("(?i)(AdministratorAccess|PowerUserAccess|FullAccess)$", var.plan_policy_arn))
    error_message = "plan_policy_arn must be a read-only policy: plan runs before anyone approved the change."
  }
}
