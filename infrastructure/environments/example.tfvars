# Copy to <environment>.tfvars (e.g. prod.tfvars) and commit: the pipeline's plan stage reads it.
# image_repository_url and image_tag come from the pipeline; nothing secret belongs here.
environment          = "prod"
region               = "us-east-1"
vpc_id               = "vpc-0123456789abcdef0"
subnet_ids           = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
warehouse_url        = "postgres://analytics.example.redshift.amazonaws.com:5439/dev"
warehouse_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ace-unit/warehouse-AbCdEf"
alert_emails         = ["billing-oncall@example.com"]
