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

variable "lake_bucket" {
  description = "Lake bucket: the machines read and write the scheduled-run state <lake_prefix>/_state/daily_last_run.json there."
  type        = string
}

variable "lake_prefix" {
  description = "Prefix of the lake inside the lake bucket (ACE_LAKE_ROOT = s3://<lake_bucket>/<lake_prefix>)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the lake and the Athena results."
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

variable "shard_count" {
  description = "Shards of notification_attempted_daily, notification_delivered_daily and ace_unit_calc_daily per date: 1 deploys definitions/daily.asl.json (one task per job); N > 1 deploys definitions/daily-sharded.asl.json (N `--shard k/N` tasks, then `--merge-shards N`)."
  type        = number
  default     = 1

  validation {
    condition     = var.shard_count >= 1 && var.shard_count <= 256 && floor(var.shard_count) == var.shard_count
    error_message = "shard_count must be a whole number from 1 to 256."
  }
}
