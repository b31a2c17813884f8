output "buckets" {
  description = "Raw (landing), lake (tables, Athena results) and exports buckets."
  value       = { raw = module.storage.raw_bucket, lake = module.storage.lake_bucket, exports = module.storage.exports_bucket }
}

output "glue_database" {
  description = "Glue database holding the lake's tables."
  value       = module.catalog.database_name
}

output "athena_workgroup" {
  description = "Athena workgroup for ad-hoc queries and the planning queries of the state machines."
  value       = module.catalog.athena_workgroup
}

output "cluster_arn" {
  description = "ECS cluster the jobs run on."
  value       = module.compute.cluster_arn
}

output "daily_state_machine_arn" {
  description = "Start a backfill with: aws stepfunctions start-execution --state-machine-arn <this> --input '{\"dates\": [...]}'."
  value       = module.orchestration.daily_state_machine_arn
}

output "monthly_state_machine_arn" {
  description = "Monthly exports: --input '{\"month\": \"YYYY-MM\", \"final\": false}'."
  value       = module.orchestration.monthly_state_machine_arn
}

output "alerts_topic_arn" {
  description = "SNS topic for job failures and alarms."
  value       = module.orchestration.alerts_topic_arn
}
