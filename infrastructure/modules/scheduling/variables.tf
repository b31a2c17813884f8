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

variable "enabled" {
  description = "Whether the schedules are enabled."
  type        = bool
  default     = true
}
