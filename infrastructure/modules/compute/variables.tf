variable "name" {
  description = "Name prefix, e.g. ace-unit-prod."
  type        = string
}

variable "image" {
  description = "Job image with tag (ECR)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the task security group."
  type        = string
}

variable "raw_bucket" {
  description = "Landing bucket name."
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

variable "exports_bucket" {
  description = "Exports bucket name."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the buckets."
  type        = string
}

variable "glue_database_name" {
  description = "Glue database of the lake's tables."
  type        = string
}

variable "warehouse_url" {
  description = "ACE_WAREHOUSE_URL for dim_customer_daily."
  type        = string
}

variable "warehouse_secret_arn" {
  description = "Secret with the warehouse credentials, or empty."
  type        = string
  default     = ""
}

variable "warehouse_port" {
  description = "Warehouse TCP port allowed out of the tasks."
  type        = number
  default     = 5439
}

variable "log_retention_days" {
  description = "Retention of the job log groups."
  type        = number
  default     = 90
}
