output "image_repository_url" {
  description = "ECR repository of the job image (infrastructure's image_repository_url)."
  value       = aws_ecr_repository.jobs.repository_url
}

output "terraform_state_bucket" {
  description = "Bucket holding infrastructure/'s state (-backend-config=bucket=...)."
  value       = aws_s3_bucket.this["state"].bucket
}

output "terraform_state_key" {
  description = "State key of the deployed environment."
  value       = local.state_key
}

output "connection_arn" {
  description = "Source connection: complete the handshake in the console once."
  value       = aws_codestarconnections_connection.source.arn
}

output "pipeline_name" {
  description = "The CodePipeline."
  value       = aws_codepipeline.this.name
}
