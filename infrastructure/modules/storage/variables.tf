variable "name" {
  description = "Name prefix, e.g. ace-unit-prod."
  type        = string
}

variable "lake_prefix" {
  description = "Prefix of the lake inside the lake bucket (ACE_LAKE_ROOT = s3://<lake bucket>/<lake_prefix>)."
  type        = string
  default     = "lake"
}

variable "athena_results_prefix" {
  description = "Prefix of the Athena query results inside the lake bucket."
  type        = string
  default     = "athena-results"
}

variable "athena_results_retention_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 7
}

variable "raw_retention_days" {
  description = "Days raw landing files are kept."
  type        = number
  default     = 400
}

variable "raw_noncurrent_version_days" {
  description = "Days a noncurrent version of a raw file (overwritten, deleted, or expired after raw_retention_days) is kept before it is removed for good."
  type        = number
  default     = 90

  validation {
    condition     = var.raw_noncurrent_version_days >= 1 && floor(var.raw_noncurrent_version_days) == var.raw_noncurrent_version_days
    error_message = "raw_noncurrent_version_days must be a whole number of days, at least 1."
  }
}

variable "lake_noncurrent_version_days" {
  description = "Days a noncurrent version in the lake bucket (a run folder gc deleted, a replaced _current.json, Athena results) is kept before it is removed for good."
  type        = number
  default     = 30

  validation {
    condition     = var.lake_noncurrent_version_days >= 1 && floor(var.lake_noncurrent_version_days) == var.lake_noncurrent_version_days
    error_message = "lake_noncurrent_version_days must be a whole number of days, at least 1."
  }
}
