# The Glue database and tables (Parquet, explicit schemas; partitions are registered by the jobs)
# and the Athena workgroup. A partition's location is its run folder,
# tables/<table>/<key>=<value>/run=<run_id>/, except for the append-only run ledger (runs), whose
# partitions (job=<job>) point at the partition folder itself.
#
# The tables come from tables.json, generated from src/rules/tables.ts by
# src/catalog/glue/write-terraform-tables.ts (tests/infra fails when it is stale): the same columns,
# Glue types, comments and description GlueCatalog.ensureTable wants, so a job never has to update
# a table Terraform created. The views (v_*) are created by the lookup jobs through Athena, not here.

locals {
  generated = jsondecode(file("${path.module}/tables.json"))
  tables    = local.generated.tables
  views     = local.generated.views
}

resource "aws_glue_catalog_database" "this" {
  name        = var.database_name
  description = "${var.name}: the ACE unit lake (s3://${var.lake_bucket}/${var.lake_prefix}/tables/)"
}

resource "aws_glue_catalog_table" "this" {
  for_each = local.tables

  database_name = aws_glue_catalog_database.this.name
  name          = each.key
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL       = "TRUE"
    classification = "parquet"
  }

  partition_keys {
    name    = each.value.partition_key.name
    type    = each.value.partition_key.type
    comment = each.value.partition_key.comment
  }

  storage_descriptor {
    location      = "s3://${var.lake_bucket}/${var.lake_prefix}/tables/${each.key}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters            = { "serialization.format" = "1" }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }
}

resource "aws_athena_workgroup" "this" {
  name          = var.name
  description   = "${var.name}: ad-hoc queries over the lake and the state machines' calendar queries"
  force_destroy = false

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.results_bucket}/${var.results_prefix}/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}
