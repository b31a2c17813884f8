/** Constants of the ACE unit rule (SPEC.md "The ACE unit rule"). */
export const RULE_VERSION = 'ace-v1';
export const CHANNELS = ['sms', 'email', 'push', 'wire'] as const;
export type Channel = (typeof CHANNELS)[number];
/** Reject reasons of the quarantine tables. */
export const REJECT_REASONS = ['malformed_json', 'missing_field', 'invalid_value', 'conflicting_duplicate'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
/** The longest id and name a raw line may hold, in UTF-8 bytes (SPEC.md "Raw input"); longer is invalid_value. */
export const ID_MAX_BYTES = 256;
export const NAME_MAX_BYTES = 1024;
/** raw_line in a rejects table is cut to this many bytes, at a UTF-8 boundary. */
export const RAW_LINE_MAX_BYTES = 1024;

/** SPEC "Configuration": the defaults of ACE_LATENESS_HOURS, ACE_ATTRIBUTION_DAYS and ACE_MAX_REJECT_RATE. */
export const DEFAULT_LATENESS_HOURS = 48;
export const DEFAULT_ATTRIBUTION_DAYS = 3;
export const DEFAULT_MAX_REJECT_RATE = 0.01;
