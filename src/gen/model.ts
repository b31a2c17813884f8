/**
 * The synthetic world behind the events: clients (with a test client, one missing from the
 * warehouse and awkward names), experiences (one left unconfigured) and the daily traffic profile.
 * All pure: the same counts give the same world.
 */
export interface Client {
  id: string;
  name: string;
  isTest: boolean;
  /** False for the client that has traffic but no warehouse row. */
  inWarehouse: boolean;
  /** Share of traffic (unnormalized). */
  weight: number;
}

export interface Experience {
  id: string;
  name: string;
  clientId: string;
  outcomeId: string;
  outcomeName: string;
  /** False for the experience that never gets a config record. */
  configured: boolean;
}

export const OUTCOMES: ReadonlyArray<readonly [string, string]> = [
  ['out_pay', 'Payments'],
  ['out_onb', 'Onboarding, Welcome'],
  ['out_frd', 'Fraud'],
  ['out_svc', 'Service'],
  ['out_col', 'Collections'],
];

const EXPERIENCE_NAMES = [
  'Payment due reminder',
  'Welcome series',
  'Card fraud alert',
  'Outage notice',
  'Past due, final notice',
  'Statement ready',
  'Card activation',
  'Claim status update',
];

/** Names that exercise CSV quoting: a comma, double quotes, and a line break. */
export const AWKWARD_NAMES = ['Acme, Inc.', 'Zürich "Versicherung" AG', "O'Neil\nUtilities"];

/** Zero-padded id with at least two digits (`c01`, `exp12`, `c100`). */
export function padId(prefix: string, n: number, count: number): string {
  return `${prefix}${String(n).padStart(Math.max(2, String(count).length), '0')}`;
}

/**
 * Clients c01..cN. The last is a test client (N ≥ 2), the one before it has traffic but no warehouse
 * row (N ≥ 3); the other warehouse clients from c02 on get the awkward names. Traffic is Zipf-like.
 */
export function buildClients(count: number): Client[] {
  const clients: Client[] = [];
  let awkward = 0;
  for (let i = 1; i <= count; i++) {
    const id = padId('c', i, count);
    const isTest = count >= 2 && i === count;
    const inWarehouse = !(count >= 3 && i === count - 1);
    let name = `Client ${id.toUpperCase()}`;
    if (isTest) name = `${name} (test)`;
    else if (inWarehouse && i >= 2 && awkward < AWKWARD_NAMES.length) name = AWKWARD_NAMES[awkward++];
    else if (inWarehouse && count === 1) name = AWKWARD_NAMES[0];
    clients.push({ id, name, isTest, inWarehouse, weight: isTest ? 0.15 : 1 / Math.pow(i, 0.7) });
  }
  return clients;
}

/** A distinct display name for experience number i (1-based). */
function experienceName(i: number): string {
  const base = EXPERIENCE_NAMES[(i - 1) % EXPERIENCE_NAMES.length];
  const round = Math.floor((i - 1) / EXPERIENCE_NAMES.length);
  return round === 0 ? base : `${base} ${round + 1}`;
}

/** Experiences exp01..expE, dealt round-robin to clients; the last one (E ≥ 2) stays unconfigured. */
export function buildExperiences(count: number, clients: readonly Client[]): Experience[] {
  const out: Experience[] = [];
  for (let i = 1; i <= count; i++) {
    const [outcomeId, outcomeName] = OUTCOMES[(i - 1) % OUTCOMES.length];
    out.push({
      id: padId('exp', i, count),
      name: experienceName(i),
      clientId: clients[(i - 1) % clients.length].id,
      outcomeId,
      outcomeName,
      configured: count < 2 || i < count,
    });
  }
  return out;
}

/** For each client index, the indexes of its experiences (a client without one borrows one). */
export function experiencesByClient(clients: readonly Client[], experiences: readonly Experience[]): number[][] {
  return clients.map((c, ci) => {
    const own = experiences.flatMap((e, ei) => (e.clientId === c.id ? [ei] : []));
    return own.length > 0 ? own : [ci % experiences.length];
  });
}

/** Relative traffic at an ET wall-clock hour (0–23): quiet nights, a midday peak, an evening bump. */
export function hourWeight(localHour: number): number {
  const day = Math.exp(-((localHour - 13) ** 2) / (2 * 3.2 ** 2));
  const evening = 0.35 * Math.exp(-((localHour - 19.5) ** 2) / (2 * 1.4 ** 2));
  return 0.06 + day + evening;
}

/** Splits `total` over hours in proportion to `weights` with exact integer counts summing to `total`. */
export function spread(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  let given = 0;
  return weights.map((w) => {
    acc += (total * w) / sum;
    const upTo = Math.round(acc);
    const n = upTo - given;
    given = upTo;
    return n;
  });
}

/** Channel mix over format.CHANNELS: sms 40 %, email 30 %, push 20 %, wire 10 % (cumulative, for pickWeighted). */
export const CHANNEL_CUMULATIVE = [0.4, 0.7, 0.9, 1.0];

/** Header of the warehouse extract (SPEC.md "Lookup jobs"). */
export const DIM_CUSTOMER_HEADER = ['client_id', 'client_name', 'billing_account_id', 'is_test', 'status', 'updated_at'] as const;

/** Warehouse rows: every client with a warehouse row, plus one dormant client that never sends. */
export function dimCustomerRows(clients: readonly Client[], updatedAt: string): string[][] {
  const rows = clients
    .filter((c) => c.inWarehouse)
    .map((c) => [c.id, c.name, `BA-${c.id}`, String(c.isTest), 'active', updatedAt]);
  const dormant = padId('c', clients.length + 1, clients.length + 1);
  rows.push([dormant, `Dormant client ${dormant.toUpperCase()}`, `BA-${dormant}`, 'false', 'inactive', updatedAt]);
  return rows;
}
