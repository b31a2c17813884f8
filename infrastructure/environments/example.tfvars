# Copy to <environment>.tfvars (e.g. prod.tfvars) and commit: the pipeline's plan stage reads it.
# image_repository_url and image_tag come from the pipeline; nothing secret belongs here.
environment   = "prod"
region        = "us-east-1"
vpc_id        = "vpc-0123456789abcdef0"
subnet_ids    = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
warehouse_url = "postgres://analytics.example.redshift.amazonaws.com:5439/dev"
# The tasks' only network destinations besides S3 (README, "Network"): the warehouse's addresses on
# warehouse_port, and the security groups of the VPC's interface endpoints on 443.
warehouse_cidr_blocks                 = ["10.0.20.0/24"]
interface_endpoint_security_group_ids = ["sg-0123456789abcdef0"]
warehouse_secret_arn                  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ace-unit/warehouse-AbCdEf"
alert_emails                          = ["billing-oncall@example.com"]

# dim_customer_daily through Redshift UNLOAD instead of a streamed SELECT (docs/aws.md, "Redshift"):
# warehouse_mode      = "unload"
# redshift_cluster_id = "analytics"            # or redshift_workgroup = "<serverless workgroup name>"
# redshift_database   = "dev"
# redshift_db_user    = "ace_unit"             # cluster only; else the secret above authenticates
# unload_iam_role_arn = "arn:aws:iam::123456789012:role/ace-unit-redshift-unload"
