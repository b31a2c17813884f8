variable "name" {
  description = "Name prefix, e.g. ace-unit-prod."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the jobs run on."
  type        = string
}

variable "task_definition_arns" {
  description = "Task definition ARN (with revision) per job; every job of the graphs must be present."
  type        = map(string)
}

variable "passable_role_arns" {
  description = "Task and execution roles the state machines may pass to ECS."
  type        = list(string)
}

variable "subnet_ids" {
  description = "Subnets of the Fargate tasks."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the Fargate tasks."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Give the tasks a public IP."
  type        = bool
  default     = false
}

variable "athena_workgroup" {
  description = "Athena workgroup of the calendar queries (scheduled forms)."
  type        = string
}

variable "athena_results" {
  description = "Bucket and prefix of the workgroup's query results."
  type        = object({ bucket = string, prefix = string })
}

variable "kms_key_arn" {
  description = "KMS key of the Athena results."
  type        = string
}

variable "alert_emails" {
  description = "E-mail subscribers of the alerts topic."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of the state machine logs."
  type        = number
  default     = 90
}
