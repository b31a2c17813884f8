# One entry per job of src/graph/graph.ts: its size and exactly what it may read and write.
# Tests (../../tests/*.tftest.hcl and tests/infra/terraform.test.ts) hold every job to this list.

locals {
  jobs = {
    notification_attempted_daily = {
      cpu         = 2048, memory = 8192, ephemeral_gib = 50
      raw_streams = ["notification_attempted"]
      reads       = []
      writes      = ["notification_attempted", "notification_attempted_rejects"]
      exports     = false
      warehouse   = false
    }
    notification_delivered_daily = {
      cpu         = 2048, memory = 8192, ephemeral_gib = 50
      raw_streams = ["notification_delivered"]
      reads       = []
      writes      = ["notification_delivered", "notification_delivered_rejects"]
      exports     = false
      warehouse   = false
    }
    outcome_experience_lookup_daily = {
      cpu         = 512, memory = 1024, ephemeral_gib = 21
      raw_streams = ["experience_config"]
      reads       = []
      writes      = ["outcome_experience_lookup", "experience_config_rejects"]
      exports     = false
      warehouse   = false
    }
    dim_customer_daily = {
      cpu         = 512, memory = 2048, ephemeral_gib = 21
      raw_streams = []
      reads       = []
      writes      = ["dim_customer"]
      exports     = false
      warehouse   = true
    }
    ace_unit_calc_daily = {
      cpu         = 4096, memory = 16384, ephemeral_gib = 100
      raw_streams = []
      reads       = ["notification_attempted", "notification_delivered"]
      writes      = ["ace_unit_audit", "ace_unit_agg", "unattributed_deliveries"]
      exports     = false
      warehouse   = false
    }
    ace_unit_monthly_output = {
      cpu         = 1024, memory = 4096, ephemeral_gib = 30
      raw_streams = []
      reads       = ["ace_unit_audit", "ace_unit_agg", "dim_customer"]
      writes      = []
      exports     = true
      warehouse   = false
    }
    ace_unit_monthly_outcome_experience_output = {
      cpu         = 1024, memory = 4096, ephemeral_gib = 30
      raw_streams = []
      reads       = ["ace_unit_audit", "dim_customer", "outcome_experience_lookup"]
      writes      = []
      exports     = true
      warehouse   = false
    }
  }
}
