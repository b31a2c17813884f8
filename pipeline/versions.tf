terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Bootstrap: the first apply uses local state; then move it into the state bucket (README).
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project    = "ace-unit"
      component  = "delivery-pipeline"
      managed_by = "terraform"
    }
  }
}
