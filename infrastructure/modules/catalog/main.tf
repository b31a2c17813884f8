# The Glue database and tables (Parquet, explicit schemas; partitions are registered by the jobs)
# and the Athena workgroup. Partition locations are run prefixes: <table>/<key>=<value>/<run_id>/.

locals {
  rejects_columns = {
    source_file = "string", line_number = "bigint", reason = "string", field = "string", raw_line = "string", run_id = "string"
  }

  # Column order is the order of the lists; partition keys are not columns of the files.
  tables = {
    notification_attempted = {
      description = "One row per distinct event_id of the notification_attempted stream, by business date."
      partition   = { dt = "date" }
      columns = [
        ["event_id", "string"], ["notification_id", "string"], ["client_id", "string"], ["customer_id", "string"],
        ["experience_id", "string"], ["channel", "string"], ["attempted_at", "timestamp"], ["run_id", "string"],
      ]
    }
    notification_delivered = {
      description = "One row per distinct event_id of the notification_delivered stream, by business date."
      partition   = { dt = "date" }
      columns = [
        ["event_id", "string"], ["notification_id", "string"], ["channel", "string"], ["delivered_at", "timestamp"], ["run_id", "string"],
      ]
    }
    ace_unit_audit = {
      description = "One row per ACE unit (client_id, customer_id) of the billing month, as of as_of_date."
      partition   = { billing_month = "string" }
      columns = [
        ["client_id", "string"], ["customer_id", "string"], ["first_engaged_at", "timestamp"], ["first_engaged_date", "date"],
        ["first_notification_id", "string"], ["first_experience_id", "string"], ["first_channel", "string"],
        ["last_engaged_at", "timestamp"], ["engagements", "bigint"], ["engaged_days", "bigint"], ["as_of_date", "date"],
        ["rule_version", "string"], ["run_id", "string"],
      ]
    }
    ace_unit_agg = {
      description = "One row per (client_id, date) with activity in the billing month."
      partition   = { billing_month = "string" }
      columns = [
        ["client_id", "string"], ["date", "date"], ["new_ace_units", "bigint"], ["mtd_ace_units", "bigint"],
        ["engaged_customers", "bigint"], ["delivered_notifications", "bigint"], ["attempted_notifications", "bigint"],
        ["as_of_date", "date"], ["rule_version", "string"], ["run_id", "string"],
      ]
    }
    outcome_experience_lookup = {
      description = "One row per experience_config record read that day; arrival columns break ties in the view."
      partition   = { snapshot_date = "date" }
      columns = [
        ["experience_id", "string"], ["experience_name", "string"], ["outcome_id", "string"], ["outcome_name", "string"],
        ["client_id", "string"], ["updated_at", "timestamp"], ["arrival_hour", "timestamp"], ["source_file", "string"],
        ["line_number", "bigint"], ["run_id", "string"],
      ]
    }
    dim_customer = {
      description = "One row per warehouse dim_customer row, copied daily."
      partition   = { snapshot_date = "date" }
      columns = [
        ["client_id", "string"], ["client_name", "string"], ["billing_account_id", "string"], ["is_test", "boolean"],
        ["status", "string"], ["updated_at", "timestamp"], ["run_id", "string"],
      ]
    }
    unattributed_deliveries = {
      description = "Delivered notifications with no matching attempt: never billed."
      partition   = { dt = "date" }
      columns     = [["notification_id", "string"], ["delivered_at", "timestamp"], ["channel", "string"], ["run_id", "string"]]
    }
    notification_attempted_rejects = {
      description = "Quarantined lines of the notification_attempted stream, by the owning run's date."
      partition   = { dt = "date" }
      columns     = [for k, v in local.rejects_columns : [k, v]]
    }
    notification_delivered_rejects = {
      description = "Quarantined lines of the notification_delivered stream, by the owning run's date."
      partition   = { dt = "date" }
      columns     = [for k, v in local.rejects_columns : [k, v]]
    }
    experience_config_rejects = {
      description = "Quarantined lines of the experience_config stream, by the owning run's date."
      partition   = { dt = "date" }
      columns     = [for k, v in local.rejects_columns : [k, v]]
    }
    runs = {
      description = "The run ledger: one row per job run, what it read and wrote and how it ended. Partitioned by job so each job writes only its own prefix."
      partition   = { job = "string" }
      columns = [
        ["run_id", "string"], ["period", "string"], ["status", "string"], ["started_at", "timestamp"],
        ["finished_at", "timestamp"], ["duration_ms", "bigint"], ["code_version", "string"], ["rule_version", "string"],
        ["fingerprint", "string"], ["rows", "bigint"], ["outputs", "string"], ["details", "string"], ["error", "string"],
      ]
    }
  }
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

  dynamic "partition_keys" {
    for_each = each.value.partition
    content {
      name = partition_keys.key
      type = partition_keys.value
    }
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
        name = columns.value[0]
        type = columns.value[1]
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
