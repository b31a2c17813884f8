output "raw_bucket" {
  description = "Landing bucket: raw/<stream>/YYYY/MM/DD/HH/ (Firehose writes here)."
  value       = aws_s3_bucket.this["raw"].bucket
}

output "lake_bucket" {
  description = "Lake bucket: <lake_prefix>/tables/<table>/<key>=<value>/run=<run_id>/, <lake_prefix>/_state/, and Athena results."
  value       = aws_s3_bucket.this["lake"].bucket
}

output "exports_bucket" {
  description = "Exports bucket: exports/<job>/billing_month=M/."
  value       = aws_s3_bucket.this["exports"].bucket
}

output "bucket_arns" {
  description = "ARN of each bucket by role (raw, lake, exports)."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "lake_prefix" {
  description = "Prefix of the lake inside the lake bucket."
  value       = var.lake_prefix
}

output "athena_results_prefix" {
  description = "Prefix of the Athena results inside the lake bucket."
  value       = var.athena_results_prefix
}

output "kms_key_arn" {
  description = "KMS key encrypting every bucket."
  value       = aws_kms_key.data.arn
}
