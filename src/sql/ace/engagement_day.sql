-- engagement_day: rule step 1 (engagement) for one date E.
-- Grain: calc_delivered_day has one row per distinct delivered notification_id on E; calc_attributed
--   one row per such notification with its earliest attempt in [E − lookback, E].
-- Inputs: variables calc_delivered_files (notification_delivered dt=E) and calc_attempted_files
--   (notification_attempted for the lookback dates that exist).
-- Ties: the earliest delivered_at (then smallest event_id) gives the delivery's time and channel; the
--   earliest attempted_at (then smallest event_id) gives client, customer, experience and channel.
CREATE OR REPLACE TEMP TABLE calc_delivered_day AS
SELECT notification_id,
  min(delivered_at) AS engaged_at,
  arg_min(channel, {'at': delivered_at, 'id': event_id}) AS channel
FROM read_parquet(getvariable('calc_delivered_files'))
-- Sharded runs (--shard k/N) take the notifications whose hash falls in their shard; a single run is 1/1.
WHERE hash(notification_id) % getvariable('calc_shard_n')::UBIGINT = getvariable('calc_shard_k')::UBIGINT
GROUP BY notification_id;

-- Two steps keep the aggregate narrow (a timestamp and an id per notification, so it fits in memory at
-- 10M a day): find each notification's first attempt key, then fetch that attempt's fields. An event
-- lives in exactly one date partition (its date is its timestamp's), so the join finds one row.
CREATE OR REPLACE TEMP TABLE calc_first_attempt AS
SELECT a.notification_id, min({'at': a.attempted_at, 'id': a.event_id}) AS first_key
FROM read_parquet(getvariable('calc_attempted_files')) a
SEMI JOIN calc_delivered_day d ON d.notification_id = a.notification_id
GROUP BY a.notification_id;

CREATE OR REPLACE TEMP TABLE calc_attributed AS
SELECT f.notification_id,
  {'client_id': a.client_id, 'customer_id': a.customer_id, 'experience_id': a.experience_id,
   'channel': a.channel, 'event_id': a.event_id} AS first_attempt
FROM calc_first_attempt f
JOIN read_parquet(getvariable('calc_attempted_files')) a
  ON a.notification_id = f.notification_id AND a.event_id = f.first_key.id AND a.attempted_at = f.first_key.at;
