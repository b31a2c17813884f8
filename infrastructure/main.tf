locals {
  name = "ace-unit-${var.environment}"
}

module "storage" {
  source = "./modules/storage"

  name               = local.name
  raw_retention_days = var.raw_retention_days

  raw_noncurrent_version_days  = var.raw_noncurrent_version_days
  lake_noncurrent_version_days = var.lake_noncurrent_version_days
}

module "catalog" {
  source = "./modules/catalog"

  name            = local.name
  lake_bucket     = module.storage.lake_bucket
  lake_prefix     = module.storage.lake_prefix
  kms_key_arn     = module.storage.kms_key_arn
  database_name   = replace("${local.name}", "-", "_")
  results_prefix  = module.storage.athena_results_prefix
  results_bucket  = module.storage.lake_bucket
  bytes_per_query = 10 * 1024 * 1024 * 1024
}

module "compute" {
  source = "./modules/compute"

  name                 = local.name
  image                = "${var.image_repository_url}:${var.image_tag}"
  vpc_id               = var.vpc_id
  raw_bucket           = module.storage.raw_bucket
  lake_bucket          = module.storage.lake_bucket
  lake_prefix          = module.storage.lake_prefix
  exports_bucket       = module.storage.exports_bucket
  kms_key_arn          = module.storage.kms_key_arn
  glue_database_name   = module.catalog.database_name
  athena_workgroup     = module.catalog.athena_workgroup
  athena_results       = { bucket = module.storage.lake_bucket, prefix = module.storage.athena_results_prefix }
  view_names           = module.catalog.view_names
  warehouse_url        = var.warehouse_url
  warehouse_secret_arn = var.warehouse_secret_arn
  warehouse_port       = var.warehouse_port
  warehouse_mode       = var.warehouse_mode
  redshift_cluster_id  = var.redshift_cluster_id
  redshift_workgroup   = var.redshift_workgroup
  redshift_database    = var.redshift_database
  redshift_db_user     = var.redshift_db_user
  unload_iam_role_arn  = var.unload_iam_role_arn
  gc_retention_hours   = var.superseded_run_retention_days * 24
  log_retention_days   = var.log_retention_days

  # Egress of the task security group: the VPC endpoints and the warehouse only.
  warehouse_cidr_blocks                 = var.warehouse_cidr_blocks
  interface_endpoint_security_group_ids = var.interface_endpoint_security_group_ids
  https_egress_cidr_blocks              = var.https_egress_cidr_blocks
}

module "orchestration" {
  source = "./modules/orchestration"

  name                 = local.name
  cluster_arn          = module.compute.cluster_arn
  task_definition_arns = module.compute.task_definition_arns
  passable_role_arns   = module.compute.passable_role_arns
  subnet_ids           = var.subnet_ids
  security_group_ids   = [module.compute.task_security_group_id]
  assign_public_ip     = var.assign_public_ip
  athena_workgroup     = module.catalog.athena_workgroup
  athena_results       = { bucket = module.storage.lake_bucket, prefix = module.storage.athena_results_prefix }
  lake_bucket          = module.storage.lake_bucket
  lake_prefix          = module.storage.lake_prefix
  kms_key_arn          = module.storage.kms_key_arn
  alert_emails         = var.alert_emails
  log_retention_days   = var.log_retention_days
  shard_count          = var.shard_count
}

module "scheduling" {
  source = "./modules/scheduling"

  name                      = local.name
  daily_state_machine_arn   = module.orchestration.daily_state_machine_arn
  monthly_state_machine_arn = module.orchestration.monthly_state_machine_arn
  enabled                   = var.schedules_enabled

  route_hourly_state_machine_arn = module.orchestration.route_hourly_state_machine_arn
  cluster_arn                    = module.compute.cluster_arn
  gc_task_definition_arn         = module.compute.gc_task_definition_arn
  gc_pass_role_arns              = module.compute.gc_pass_role_arns
  subnet_ids                     = var.subnet_ids
  security_group_ids             = [module.compute.task_security_group_id]
  assign_public_ip               = var.assign_public_ip
}

module "alarms" {
  source = "./modules/alarms"

  name                 = local.name
  alerts_topic_arn     = module.orchestration.alerts_topic_arn
  state_machine_arns   = { daily = module.orchestration.daily_state_machine_arn, monthly = module.orchestration.monthly_state_machine_arn }
  athena_workgroup     = module.catalog.athena_workgroup
  athena_results       = { bucket = module.storage.lake_bucket, prefix = module.storage.athena_results_prefix }
  glue_database_name   = module.catalog.database_name
  lake_bucket          = module.storage.lake_bucket
  lake_prefix          = module.storage.lake_prefix
  kms_key_arn          = module.storage.kms_key_arn
  freshness_check_hour = var.freshness_check_hour
  schedules_enabled    = var.schedules_enabled
}
