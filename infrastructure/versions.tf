terraform {
  # templatestring() (orchestration) needs 1.9.
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Partial configuration: bucket, key and region come from -backend-config (see README.md).
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project     = "ace-unit"
      environment = var.environment
      managed_by  = "terraform"
    }
  }
}
