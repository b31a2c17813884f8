output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "task_definition_arns" {
  description = "Task definition ARN (with revision) per job."
  value       = { for job, td in aws_ecs_task_definition.job : job => td.arn }
}

output "task_definition_families" {
  description = "Task definition family per job."
  value       = { for job, td in aws_ecs_task_definition.job : job => td.family }
}

output "task_role_arns" {
  description = "Task role ARN per job."
  value       = { for job, r in aws_iam_role.task : job => r.arn }
}

output "passable_role_arns" {
  description = "Roles the state machines pass to ECS: every task role and the execution role."
  value       = concat([for r in aws_iam_role.task : r.arn], [aws_iam_role.execution.arn])
}

output "task_role_policies" {
  description = "Policy document (JSON) of each job's task role."
  value       = local.task_policies
}

output "write_prefixes" {
  description = "Lake and export key prefixes each job may write."
  value       = { for job in keys(local.jobs) : job => concat(local.write_keys[job], local.export_keys[job]) }
}

output "task_security_group_id" {
  description = "Security group of the job tasks."
  value       = aws_security_group.tasks.id
}

output "jobs" {
  description = "Job names with a task definition."
  value       = sort(keys(local.jobs))
}

output "gc_task_definition_arn" {
  description = "Task definition of npm run gc (scheduled by modules/scheduling)."
  value       = aws_ecs_task_definition.gc.arn
}

output "gc_pass_role_arns" {
  description = "Roles the gc schedule passes to ECS: the gc task role and the execution role."
  value       = [aws_iam_role.gc.arn, aws_iam_role.execution.arn]
}

output "gc_role_policy" {
  description = "Policy document (JSON) of the gc task role."
  value       = local.gc_policy
}

output "state_prefixes" {
  description = "Coordination keys (_state/<kind>/<job>/ and _scratch/) each job may read, write and delete."
  value       = local.state_keys
}
