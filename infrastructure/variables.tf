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
  description = "ACE_WAREHOUSE_URL for dim_customer_daily without credentials, e.g. postgres://host:5439/dev. Credentials come from warehouse_secret_arn."
  type        = string
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
  description = "Days a superseded run prefix (objects tagged ace-superseded=true by the publisher) is kept before it is deleted."
  type        = number
  default     = 30
}

variable "raw_retention_days" {
  description = "Days raw landing files are kept (they move to infrequent-access storage after 30 days)."
  type        = number
  default     = 400
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
