/** The two catalog views in Athena (Trino SQL): the same definition the local catalog uses (src/sql/latest.ts). */
import { latestRowViews } from '../../sql/latest.js';

/** CREATE OR REPLACE VIEW statements, one per view, in creation order. */
export function athenaViewStatements(): { view: string; sql: string }[] {
  return latestRowViews();
}
