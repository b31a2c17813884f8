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
