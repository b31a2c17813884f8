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
  description = "ACE_WAREHOUSE_URL for dim_customer_daily (select mode), without credentials; empty in unload mode."
  type        = string
  default     = ""
}

variable "warehouse_mode" {
  description = "ACE_WAREHOUSE_MODE of dim_customer_daily: select (PostgreSQL wire protocol) or unload (Redshift UNLOAD through the Data API)."
  type        = string
  default     = "select"

  validation {
    condition     = contains(["select", "unload"], var.warehouse_mode)
    error_message = "warehouse_mode must be select or unload."
  }
}

variable "redshift_cluster_id" {
  description = "Unload mode: ACE_REDSHIFT_CLUSTER_ID, a provisioned cluster (or set redshift_workgroup)."
  type        = string
  default     = ""
}

variable "redshift_workgroup" {
  description = "Unload mode: ACE_REDSHIFT_WORKGROUP, a Redshift Serverless workgroup name (or set redshift_cluster_id)."
  type        = string
  default     = ""
}

variable "redshift_database" {
  description = "Unload mode: ACE_REDSHIFT_DATABASE, the database the Data API connects to."
  type        = string
  default     = ""
}

variable "redshift_db_user" {
  description = "Unload mode on a cluster: ACE_REDSHIFT_DB_USER (temporary credentials); empty to use the warehouse secret."
  type        = string
  default     = ""
}

variable "unload_iam_role_arn" {
  description = "Unload mode: ACE_UNLOAD_IAM_ROLE, the role Redshift assumes to write tables/dim_customer/_unload/ (associated with the cluster or workgroup)."
  type        = string
  default     = ""
}

variable "warehouse_secret_arn" {
  description = "Secret with the warehouse credentials, or empty."
  type        = string
  default     = ""
}

variable "warehouse_port" {
  description = "Warehouse TCP port allowed out of the tasks (to warehouse_cidr_blocks only)."
  type        = number
  default     = 5439
}

variable "warehouse_cidr_blocks" {
  description = "Addresses of the warehouse (select mode): the only destinations of warehouse_port. Empty: no warehouse traffic (unload mode uses the Redshift Data API over HTTPS)."
  type        = list(string)
  default     = []
}

variable "interface_endpoint_security_group_ids" {
  description = "Security groups of the VPC's interface endpoints (ECR api and dkr, Logs, Glue, Athena, Secrets Manager, Redshift Data, STS): the tasks' HTTPS destinations besides S3."
  type        = list(string)
  default     = []
}

variable "https_egress_cidr_blocks" {
  description = "Only for subnets that reach the AWS APIs through a NAT gateway instead of interface endpoints: CIDRs HTTPS may go to (wider than the endpoints). Empty by default."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of the job log groups."
  type        = number
  default     = 90
}

variable "athena_workgroup" {
  description = "ACE_ATHENA_WORKGROUP: the workgroup the lookup jobs create the views in."
  type        = string
}

variable "athena_results" {
  description = "Bucket and prefix of the workgroup's (enforced) results location."
  type        = object({ bucket = string, prefix = string })
}

variable "view_names" {
  description = "Views the lookup jobs create or replace in Athena (catalog module output view_names)."
  type        = list(string)
  default     = ["v_dim_customer", "v_outcome_experience_lookup"]
}

variable "gc_retention_hours" {
  description = "npm run gc --retention-hours: superseded run folders, scratch and stale running markers older than this are deleted."
  type        = number
  default     = 720

  validation {
    condition     = var.gc_retention_hours >= 24 && floor(var.gc_retention_hours) == var.gc_retention_hours
    error_message = "gc_retention_hours must be a whole number of hours, at least 24 (runs last hours; exports diff against older versions)."
  }
}
