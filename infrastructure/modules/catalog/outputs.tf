output "database_name" {
  description = "Glue database name."
  value       = aws_glue_catalog_database.this.name
}

output "table_names" {
  description = "Every Glue table of the lake."
  value       = sort(keys(aws_glue_catalog_table.this))
}

output "athena_workgroup" {
  description = "Athena workgroup name."
  value       = aws_athena_workgroup.this.name
}

output "view_names" {
  description = "Views the lookup jobs create in Athena after publishing (not managed by Terraform)."
  value       = local.views
}

output "table_definitions" {
  description = "The generated table definitions (tables.json): partition key and columns per table."
  value       = local.tables
}
