variable "name" {
  description = "Name prefix, e.g. ace-unit-prod."
  type        = string
}

variable "daily_state_machine_arn" {
  description = "Daily state machine."
  type        = string
}

variable "monthly_state_machine_arn" {
  description = "Monthly state machine (monthly exports and month close)."
  type        = string
}

variable "route_hourly_state_machine_arn" {
  description = "The hourly router's state machine (sharded deployments); null: no hourly schedule."
  type        = string
  default     = null
}

variable "enabled" {
  description = "Whether the schedules are enabled."
  type        = bool
  default     = true
}

variable "cluster_arn" {
  description = "ECS cluster the gc task runs on."
  type        = string
}

variable "gc_task_definition_arn" {
  description = "Task definition of npm run gc (compute module output gc_task_definition_arn)."
  type        = string
}

variable "gc_pass_role_arns" {
  description = "The gc task role and the execution role, passed to ECS by the gc schedule."
  type        = list(string)
}

variable "subnet_ids" {
  description = "Subnets of the gc task."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the gc task."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Give the gc task a public IP."
  type        = bool
  default     = false
}
