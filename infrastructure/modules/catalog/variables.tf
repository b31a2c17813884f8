variable "name" {
  description = "Name prefix, e.g. ace-unit-prod (also the Athena workgroup name)."
  type        = string
}

variable "database_name" {
  description = "Glue database name (ACE_GLUE_DATABASE)."
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

variable "results_bucket" {
  description = "Bucket of the Athena query results."
  type        = string
}

variable "results_prefix" {
  description = "Prefix of the Athena query results."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the Athena results."
  type        = string
}

variable "bytes_per_query" {
  description = "Athena bytes-scanned cutoff per query."
  type        = number
  default     = 10737418240
}
