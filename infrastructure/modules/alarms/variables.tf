variable "name" {
  description = "Name prefix, e.g. ace-unit-prod."
  type        = string
}

variable "alerts_topic_arn" {
  description = "SNS topic the alarms notify."
  type        = string
}

variable "state_machine_arns" {
  description = "State machines watched for failed and timed-out executions, by short name."
  type        = map(string)
}

variable "athena_workgroup" {
  description = "Athena workgroup of the freshness query."
  type        = string
}

variable "athena_results" {
  description = "Bucket and prefix of the workgroup's query results."
  type        = object({ bucket = string, prefix = string })
}

variable "glue_database_name" {
  description = "Glue database holding ace_unit_agg."
  type        = string
}

variable "lake_bucket" {
  description = "Lake bucket name."
  type        = string
}

variable "lake_prefix" {
  description = "Prefix of the lake inside the lake bucket."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the lake and the Athena results."
  type        = string
}

variable "freshness_check_hour" {
  description = "Hour (America/New_York) of the freshness check."
  type        = number
  default     = 9
}

variable "schedules_enabled" {
  description = "Whether the freshness schedule is enabled."
  type        = bool
  default     = true
}
