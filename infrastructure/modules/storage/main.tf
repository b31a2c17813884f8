# Raw (landing), lake (tables + Athena results) and exports buckets: private, SSE-KMS, TLS only.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  buckets = {
    raw     = "${var.name}-raw-${data.aws_caller_identity.current.account_id}"
    lake    = "${var.name}-lake-${data.aws_caller_identity.current.account_id}"
    exports = "${var.name}-exports-${data.aws_caller_identity.current.account_id}"
  }
}

resource "aws_kms_key" "data" {
  description             = "${var.name}: raw, lake and exports buckets, Athena results"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name}-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  bucket = each.value
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
    bucket_key_enabled = true
  }
}

# Every bucket is versioned: raw is the billing source of truth (an overwritten or deleted landing file
# stays recoverable), the lake holds the published versions and their _current.json pointers (a bad
# write or a wrong gc delete leaves the previous object behind), and exports are what Finance bills from.
# No role of the stack holds s3:DeleteObjectVersion: a delete adds a delete marker, and only the
# lifecycle rules below remove noncurrent versions (raw and lake; export versions are kept).
# Was one resource for the exports bucket: moved, so the upgrade never suspends its versioning.
moved {
  from = aws_s3_bucket_versioning.exports
  to   = aws_s3_bucket_versioning.this["exports"]
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [each.value.arn, "${each.value.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "raw" {
  bucket = aws_s3_bucket.this["raw"].id

  rule {
    id     = "age-raw-landing-files"
    status = "Enabled"
    filter {
      prefix = "raw/"
    }
    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }
    expiration {
      days = var.raw_retention_days
    }
    # An expired, overwritten or deleted raw file stays as a noncurrent version this long.
    noncurrent_version_expiration {
      noncurrent_days = var.raw_noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"
    filter {
      prefix = "raw/"
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.this["lake"].id

  # Superseded versions are not expired here: a rerun publishes a new run folder
  # (tables/<table>/<key>=<value>/run=<run_id>/) and nothing is tagged; `npm run gc`, scheduled daily
  # by modules/scheduling, deletes the run folders no pointer names once they are old enough.
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {
      prefix = "${var.lake_prefix}/"
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }

  rule {
    id     = "expire-athena-results"
    status = "Enabled"
    filter {
      prefix = "${var.athena_results_prefix}/"
    }
    expiration {
      days = var.athena_results_retention_days
    }
  }

  # What gc deleted, a replaced _current.json, an overwritten coordination object: kept as a noncurrent
  # version this long (so a wrong delete or overwrite can be undone), then removed with its delete marker.
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.lake_noncurrent_version_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "exports" {
  bucket = aws_s3_bucket.this["exports"].id

  rule {
    id     = "age-old-export-versions"
    status = "Enabled"
    filter {
      prefix = "exports/"
    }
    noncurrent_version_transition {
      noncurrent_days = 30
      storage_class   = "STANDARD_IA"
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
