variable "region" {
  description = "AWS region for every resource."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "Environment name, used in resource names (ace-unit-<environment>-...)."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, 2 to 16 characters."
  }
}

variable "image_repository_url" {
  description = "ECR repository URL of the job image (created by pipeline/), e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/ace-unit."
  type        = string
}

variable "image_tag" {
  description = "Image tag to run: the commit id CodeBuild tagged the image with."
  type        = string
}

variable "vpc_id" {
  description = "VPC the Fargate tasks run in."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets for the Fargate tasks: private subnets with a NAT gateway or S3/Glue/ECR/Logs/Secrets Manager endpoints."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids needs at least one subnet."
  }
}

variable "assign_public_ip" {
  description = "Give tasks a public IP (only for public subnets without NAT)."
  type        = bool
  default     = false
}

variable "warehouse_url" {
  description = "ACE_WAREHOUSE_URL for dim_customer_daily without credentials, e.g. postgres://host:5439/dev. Credentials come from warehouse_secret_arn. Required in select mode."
  type        = string
  default     = ""

  validation {
    condition     = var.warehouse_mode == "unload" || var.warehouse_url != ""
    error_message = "warehouse_url is required when warehouse_mode is select."
  }
}

variable "warehouse_mode" {
  description = "ACE_WAREHOUSE_MODE of dim_customer_daily: select (streamed SELECT over the wire protocol) or unload (Redshift UNLOAD to the lake through the Data API)."
  type        = string
  default     = "select"

  validation {
    condition     = contains(["select", "unload"], var.warehouse_mode)
    error_message = "warehouse_mode must be select or unload."
  }
}

variable "redshift_cluster_id" {
  description = "Unload mode: ACE_REDSHIFT_CLUSTER_ID (provisioned cluster). Exactly one of this and redshift_workgroup."
  type        = string
  default     = ""

  validation {
    condition     = var.warehouse_mode != "unload" || ((var.redshift_cluster_id == "") != (var.redshift_workgroup == ""))
    error_message = "unload mode needs exactly one of redshift_cluster_id and redshift_workgroup."
  }
}

variable "redshift_workgroup" {
  description = "Unload mode: ACE_REDSHIFT_WORKGROUP (Redshift Serverless workgroup name)."
  type        = string
  default     = ""
}

variable "redshift_database" {
  description = "Unload mode: ACE_REDSHIFT_DATABASE."
  type        = string
  default     = ""

  validation {
    condition     = var.warehouse_mode != "unload" || var.redshift_database != ""
    error_message = "unload mode needs redshift_database."
  }
}

variable "redshift_db_user" {
  description = "Unload mode on a cluster: ACE_REDSHIFT_DB_USER for temporary credentials; empty to authenticate with warehouse_secret_arn."
  type        = string
  default     = ""

  validation {
    condition     = var.warehouse_mode != "unload" || var.redshift_cluster_id == "" || var.redshift_db_user != "" || var.warehouse_secret_arn != ""
    error_message = "unload mode on a cluster needs redshift_db_user or warehouse_secret_arn."
  }
}

variable "unload_iam_role_arn" {
  description = "Unload mode: ACE_UNLOAD_IAM_ROLE, the role (associated with the cluster or workgroup) Redshift assumes to write <lake>/tables/dim_customer/_unload/ (s3:PutObject there, kms:GenerateDataKey on the data key)."
  type        = string
  default     = ""

  validation {
    condition     = var.warehouse_mode != "unload" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.unload_iam_role_arn))
    error_message = "unload mode needs unload_iam_role_arn, an IAM role ARN."
  }
}

variable "warehouse_secret_arn" {
  description = "Secrets Manager secret holding the warehouse credentials (ACE_WAREHOUSE_SECRET_ARN); empty when the URL needs none."
  type        = string
  default     = ""
}

variable "warehouse_port" {
  description = "TCP port the tasks may reach the warehouse on (Redshift 5439, PostgreSQL 5432)."
  type        = number
  default     = 5439
}

variable "warehouse_cidr_blocks" {
  description = "Addresses of the warehouse (e.g. [\"10.1.2.0/24\"] or a /32): the tasks reach warehouse_port there and nowhere else. Required in select mode."
  type        = list(string)
  default     = []

  validation {
    condition     = var.warehouse_mode != "select" || length(var.warehouse_cidr_blocks) > 0
    error_message = "warehouse_cidr_blocks is required in select mode: the addresses dim_customer_daily connects to on warehouse_port."
  }
  validation {
    condition     = alltrue([for c in var.warehouse_cidr_blocks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "warehouse_cidr_blocks must be CIDR blocks, and not 0.0.0.0/0."
  }
}

variable "interface_endpoint_security_group_ids" {
  description = "Security groups of the VPC's interface endpoints the tasks use (ECR api and dkr, Logs, Glue, Athena, Secrets Manager, and Redshift Data in unload mode); S3 goes through the gateway endpoint."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.interface_endpoint_security_group_ids) > 0 || length(var.https_egress_cidr_blocks) > 0
    error_message = "the tasks need HTTPS to the AWS APIs: set interface_endpoint_security_group_ids (VPC endpoints), or https_egress_cidr_blocks for subnets behind a NAT gateway."
  }
}

variable "https_egress_cidr_blocks" {
  description = "Only for subnets that reach the AWS APIs through a NAT gateway instead of interface endpoints: CIDRs the tasks may reach on 443 (this widens egress; prefer the endpoints)."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alerts topic (each must confirm the subscription)."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of the job and state machine logs."
  type        = number
  default     = 90
}

variable "superseded_run_retention_days" {
  description = "Days a superseded run folder (and scratch, stale running markers) is kept before the daily gc task (npm run gc --retention-hours <days*24>) deletes it."
  type        = number
  default     = 30
}

variable "raw_retention_days" {
  description = "Days raw landing files are kept (they move to infrequent-access storage after 30 days)."
  type        = number
  default     = 400
}

variable "raw_noncurrent_version_days" {
  description = "Days a noncurrent version of a raw file (overwritten, deleted, or expired) is kept in the versioned raw bucket."
  type        = number
  default     = 90
}

variable "lake_noncurrent_version_days" {
  description = "Days a noncurrent version in the versioned lake bucket (what gc deleted, a replaced _current.json) is kept."
  type        = number
  default     = 30
}

variable "schedules_enabled" {
  description = "Whether the EventBridge Scheduler schedules are enabled."
  type        = bool
  default     = true
}

variable "freshness_check_hour" {
  description = "Hour (America/New_York) by which yesterday's daily partition must exist, else the freshness alarm fires."
  type        = number
  default     = 9

  validation {
    condition     = var.freshness_check_hour >= 5 && var.freshness_check_hour <= 23
    error_message = "freshness_check_hour must be between 5 and 23 (the daily run starts at 04:15)."
  }
}

variable "shard_count" {
  description = "Scale-out of the daily graph: each date runs notification_attempted_daily, notification_delivered_daily and ace_unit_calc_daily as this many shard tasks plus one merge task. 1 (the default) keeps one task per job. See README.md, \"Scaling out\"."
  type        = number
  default     = 1

  validation {
    condition     = var.shard_count >= 1 && var.shard_count <= 256 && floor(var.shard_count) == var.shard_count
    error_message = "shard_count must be a whole number from 1 to 256."
  }
}
