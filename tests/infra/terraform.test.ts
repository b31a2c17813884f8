/**
 * infrastructure/ and pipeline/ checked by real tools when terraform is on PATH (fmt -check,
 * init -backend=false against the local provider mirror, validate, test with a mocked provider), and
 * always by structural checks over the HCL (@cdktf/hcl2json) and a line-based read of buildspec.yml.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { ALL_JOBS } from '../../src/graph/graph';
import { SHARDABLE_JOBS } from '../../jobs/index';

const ROOT = resolve(__dirname, '../..');
const STACKS = ['infrastructure', 'pipeline'] as const;
/** Module-level terraform tests, run from the stack's root with -test-directory. */
const MODULE_TEST_DIRS: Record<(typeof STACKS)[number], string[]> = {
  infrastructure: ['modules/orchestration/tests'],
  pipeline: [],
};

const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
/** In CI (`CI` set, as .ci/run and buildspec.yml do) the real checks must run: no terraform is a failure, never a skip. */
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
if (!hasTerraform && inCi) {
  describe('terraform on PATH', () => {
    test('is required when CI is set', () => {
      throw new Error(
        'terraform is not on PATH but CI is set, so terraform fmt/validate/test would not run: install terraform 1.11.4 ' +
          '(buildspec.yml installs it with a verified checksum) and the AWS provider mirror (/opt/tf-plugins), then rerun',
      );
    });
  });
} else if (!hasTerraform) {
  // Visible on purpose: the real checks did not run here.
  console.warn(
    '\n*** terraform is not on PATH: skipping terraform fmt/init/validate/test; running the structural HCL checks only (set CI to make this a failure). ***\n',
  );
}

/**
 * Generous on purpose: a busy machine (other test files, a benchmark) can make `terraform test` of
 * infrastructure/ take minutes; the limit only turns a hang into an error naming the command.
 */
const TF_TIMEOUT_MS = 900_000;
const JEST_TIMEOUT_MS = TF_TIMEOUT_MS + 60_000;

function terraform(cwd: string, args: string[], configFile: string) {
  const res = spawnSync('terraform', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, TF_CLI_CONFIG_FILE: configFile, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', NO_COLOR: '1' },
    timeout: TF_TIMEOUT_MS,
  });
  if (res.status !== 0) throw new Error(`terraform ${args.join(' ')} failed in ${cwd}:\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

(hasTerraform ? describe : describe.skip).each(STACKS)('terraform on %s/', (stack) => {
  const source = join(ROOT, stack);
  const configFile = join(source, '.terraformrc');
  let work: string;

  beforeAll(() => {
    // A copy, so init never writes .terraform/ or a lock file into the repository.
    work = mkdtempSync(join(tmpdir(), `ace-tf-${stack}-`));
    cpSync(source, work, { recursive: true, filter: (src) => !/[\\/]\.terraform([\\/]|$)|\.tfstate/.test(src) });
    terraform(work, ['init', '-backend=false', '-input=false'], configFile);
    for (const dir of MODULE_TEST_DIRS[stack]) terraform(work, ['init', '-backend=false', '-input=false', `-test-directory=${dir}`], configFile);
  }, JEST_TIMEOUT_MS);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('fmt -check -recursive', () => {
    terraform(source, ['fmt', '-check', '-recursive', '-diff'], configFile);
  });
  test('validate', () => {
    expect(terraform(work, ['validate', '-no-color'], configFile)).toContain('Success');
  }, JEST_TIMEOUT_MS);
  test('test (mock_provider "aws")', () => {
    const out = terraform(work, ['test', '-no-color'], configFile);
    expect(out).toMatch(/Success! \d+ passed, 0 failed/);
  }, JEST_TIMEOUT_MS);
  for (const dir of MODULE_TEST_DIRS[stack]) {
    test(`test -test-directory=${dir} (mock_provider "aws")`, () => {
      const out = terraform(work, ['test', '-no-color', `-test-directory=${dir}`], configFile);
      expect(out).toMatch(/Success! \d+ passed, 0 failed/);
    }, JEST_TIMEOUT_MS);
  }
});

type Hcl = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function hclOf(dir: string): Promise<Hcl[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.tf'));
  return Promise.all(files.map((f) => parse(f, readFileSync(join(dir, f), 'utf8')) as Promise<Hcl>));
}
const locals = (docs: Hcl[]) => Object.assign({}, ...docs.flatMap((d) => d.locals ?? []));
const resources = (docs: Hcl[], type: string) =>
  Object.assign({}, ...docs.map((d) => d.resource?.[type] ?? {})) as Record<string, Hcl[]>;

describe('structural checks (hcl2json)', () => {
  const mod = (name: string) => join(ROOT, 'infrastructure/modules', name);

  test('every job of the graph has a task definition and its own task role', async () => {
    const compute = await hclOf(mod('compute'));
    expect(Object.keys(locals(compute).jobs).sort()).toEqual([...ALL_JOBS].sort());
    const [td] = resources(compute, 'aws_ecs_task_definition').job;
    const [role] = resources(compute, 'aws_iam_role').task;
    expect(td.for_each).toBe('${local.jobs}');
    expect(role.for_each).toBe('${local.jobs}');
    expect(td.task_role_arn).toBe('${aws_iam_role.task[each.key].arn}');
    expect(td.ephemeral_storage).toBeDefined();
    for (const job of Object.values(locals(compute).jobs) as Hcl[]) {
      expect(job.cpu).toBeGreaterThanOrEqual(256);
      expect(job.memory).toBeGreaterThanOrEqual(512);
      expect(job.ephemeral_gib).toBeGreaterThanOrEqual(21);
    }
  });

  test('task roles name their actions: no wildcard actions, writes only under the job\'s own prefixes', async () => {
    const compute = await hclOf(mod('compute'));
    const policies = [JSON.stringify(locals(compute).task_policies), JSON.stringify(locals(compute).gc_policy)];
    for (const policy of policies) {
      expect(policy).not.toMatch(/"[a-z0-9-]+:\*"|Action\s*=\s*\\"\*/);
      // A "*" resource only for the Data API's statement actions, which take none (limited to the
      // caller's own statements by a condition).
      const stars = policy.split('Sid').filter((st) => /\\"\*\\"/.test(st));
      for (const st of stars) {
        expect(st).toMatch(/FollowOwnStatements/);
        expect(st).toContain('redshift-data:statement-owner-iam-userid');
      }
    }
    const jobs = locals(compute).jobs as Record<string, { writes: string[]; reads: string[] }>;
    // Reads never overlap another job's writes except where the graph says so (calc reads the ingests).
    const writers = new Map<string, string>();
    for (const [job, j] of Object.entries(jobs)) for (const t of j.writes) {
      expect(writers.get(t)).toBeUndefined(); // one writer per table
      writers.set(t, job);
    }
    expect(jobs.ace_unit_calc_daily.reads.sort()).toEqual(['notification_attempted', 'notification_delivered']);
    // Every table of tables.json (but the shared runs ledger) has exactly one writing job.
    const generated = JSON.parse(readFileSync(join(ROOT, 'infrastructure/modules/catalog/tables.json'), 'utf8')) as { tables: Record<string, unknown> };
    expect([...writers.keys()].sort()).toEqual(Object.keys(generated.tables).filter((t) => t !== 'runs').sort());
  });

  test('jobs keep their coordination state under _state/<kind>/<job>/ and never delete under tables/ (gc does)', async () => {
    const compute = await hclOf(mod('compute'));
    const text = readFileSync(join(mod('compute'), 'main.tf'), 'utf8');
    expect(text).toContain('for kind in ["locks", "running", "published"] : "${var.lake_prefix}/_state/${kind}/${job}/"');
    expect(text).toContain('"${var.lake_prefix}/_scratch/"');
    expect(text).not.toContain('PutObjectTagging');
    const gc = readFileSync(join(mod('compute'), 'gc.tf'), 'utf8');
    expect(gc).toMatch(/entryPoint\s+= \["node", "dist\/src\/cli\/gc\.js"\]/);
    expect(locals(compute).gc).toBeDefined();
  });

  test('exactly the shardable jobs (SHARDABLE_JOBS) may use _shards/<job>/ (and the event streams their _routed/<stream>/), and gc collects _shards/', async () => {
    const compute = await hclOf(mod('compute'));
    const jobs = locals(compute).jobs as Record<string, { shards: boolean }>;
    expect(Object.keys(jobs).filter((j) => jobs[j].shards).sort()).toEqual([...SHARDABLE_JOBS].sort());
    expect(String(locals(compute).shard_keys).replace(/\s+/g, ' ')).toBe('${{ for job, j in local.jobs : job => j.shards ? concat(["${var.lake_prefix}/_shards/${job}/"], [for s in j.raw_streams : "${var.lake_prefix}/_routed/${s}/"]) : [] }}');
    expect(readFileSync(join(mod('compute'), 'gc.tf'), 'utf8')).toContain('"${local.lake_arn}/${var.lake_prefix}/_shards/*"');
  });

  test('shard_count: a root variable (default 1, 1 to 256) passed to orchestration, which picks the generated daily definition', async () => {
    const root = await hclOf(join(ROOT, 'infrastructure'));
    const variable = Object.assign({}, ...root.map((d) => d.variable ?? {})).shard_count[0] as Hcl;
    expect(variable.default).toBe(1);
    expect(variable.validation[0].condition).toContain('var.shard_count <= 256');
    const orchestration = Object.assign({}, ...root.map((d) => d.module ?? {})).orchestration[0] as Hcl;
    expect(orchestration.shard_count).toBe('${var.shard_count}');
    const mod = await hclOf(join(ROOT, 'infrastructure/modules/orchestration'));
    expect(locals(mod).daily_file).toBe('${var.shard_count > 1 ? "daily-sharded.asl.json" : "daily.asl.json"}');
    expect(locals(mod).asl_values).toContain('shard_count             = var.shard_count');
  });

  test('schedules use America/New_York', async () => {
    const scheduling = await hclOf(mod('scheduling'));
    expect(locals(scheduling).timezone).toBe('America/New_York');
    const [schedule] = resources(scheduling, 'aws_scheduler_schedule').this;
    expect(schedule.schedule_expression_timezone).toBe('${local.timezone}');
    expect(Object.values(locals(scheduling).graph_schedules).map((s) => (s as Hcl).expression)).toEqual(
      expect.arrayContaining(['cron(15 4 * * ? *)', 'cron(0 5 1 * ? *)', 'cron(0 6 3 * ? *)']),
    );
    const alarms = await hclOf(mod('alarms'));
    expect(resources(alarms, 'aws_scheduler_schedule').freshness[0].schedule_expression_timezone).toBe('America/New_York');
    const [gc] = resources(scheduling, 'aws_scheduler_schedule').gc;
    expect(gc.schedule_expression_timezone).toBe('${local.timezone}');
    expect(locals(scheduling).gc_expression).toBe('cron(30 2 * * ? *)');
  });

  test.each([
    ['infrastructure/modules/storage', 3],
    ['pipeline', 2],
  ])('%s: buckets block public access and deny non-TLS requests', async (dir, count) => {
    const docs = await hclOf(join(ROOT, dir));
    const [bpa] = resources(docs, 'aws_s3_bucket_public_access_block').this;
    for (const key of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) expect(bpa[key]).toBe(true);
    expect(bpa.for_each).toBe('${aws_s3_bucket.this}');
    const [policy] = resources(docs, 'aws_s3_bucket_policy').tls_only;
    expect(policy.for_each).toBe('${aws_s3_bucket.this}');
    expect(policy.policy).toMatch(/Effect\s*=\s*"Deny"/);
    expect(policy.policy).toContain('"aws:SecureTransport" = "false"');
    expect(Object.keys(locals(docs).buckets)).toHaveLength(count);
  });
});

/** The subset of YAML a buildspec uses: top-level keys, `phases.<phase>.commands` lists. */
function buildspecPhases(text: string): { version: string | null; phases: Record<string, string[]> } {
  let version: string | null = null;
  const phases: Record<string, string[]> = {};
  let section = '';
  let phase = '';
  let inCommands = false;
  for (const raw of text.split('\n')) {
    if (/^\s*(#.*)?$/.test(raw)) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) {
      section = line.replace(/:.*$/, '');
      if (section === 'version') version = line.split(':')[1].trim();
      inCommands = false;
      continue;
    }
    if (section !== 'phases') continue;
    if (indent === 2 && line.endsWith(':')) {
      phase = line.slice(0, -1);
      phases[phase] = [];
      inCommands = false;
    } else if (indent === 4) {
      inCommands = line === 'commands:';
    } else if (inCommands && line.startsWith('- ')) {
      phases[phase].push(line.slice(2));
    }
  }
  return { version, phases };
}

/** `env.variables` of a buildspec: `KEY: "value"` lines at indent 4. */
function buildspecVariables(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  let section = '';
  let sub = '';
  for (const raw of text.split('\n')) {
    if (/^\s*(#.*)?$/.test(raw)) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) section = line.replace(/:.*$/, '');
    else if (indent === 2) sub = line.replace(/:.*$/, '');
    else if (indent === 4 && section === 'env' && sub === 'variables') {
      const m = /^([A-Z0-9_]+):\s*"(.*)"$/.exec(line);
      if (m) vars[m[1]] = m[2];
    }
  }
  return vars;
}

describe('buildspec.yml', () => {
  const spec = buildspecPhases(readFileSync(join(ROOT, 'buildspec.yml'), 'utf8'));
  const all = Object.values(spec.phases).flat().join('\n');

  test('version 0.2 with install, pre_build, build and post_build phases in that order', () => {
    expect(spec.version).toBe('0.2');
    expect(Object.keys(spec.phases)).toEqual(['install', 'pre_build', 'build', 'post_build']);
    for (const commands of Object.values(spec.phases)) expect(commands.length).toBeGreaterThan(0);
  });

  test('tests run before the image is built: npm ci, then npm run typecheck, then npm test', () => {
    const pre = spec.phases.pre_build;
    const at = (prefix: string) => pre.findIndex((c) => c.startsWith(prefix));
    expect(at('npm ci')).toBeGreaterThanOrEqual(0);
    expect(at('npm ci')).toBeLessThan(at('npm run typecheck'));
    expect(at('npm run typecheck')).toBeLessThan(at('npm test'));
  });

  // Issue 13, point 12: the build image had no terraform, so npm test skipped the Terraform checks there.
  test('the build installs the pinned terraform, verified by sha256, and sets CI so the Terraform checks cannot skip', () => {
    const vars = buildspecVariables(readFileSync(join(ROOT, 'buildspec.yml'), 'utf8'));
    expect(vars.CI).toBe('true');
    expect(vars.TF_VERSION).toBe('1.11.4');
    expect(vars.TF_SHA256).toMatch(/^[0-9a-f]{64}$/);
    const install = spec.phases.install;
    const download = install.findIndex((c) => c.includes('releases.hashicorp.com/terraform/${TF_VERSION}/terraform_${TF_VERSION}_linux_amd64.zip'));
    const verify = install.findIndex((c) => c === 'echo "${TF_SHA256}  /tmp/terraform.zip" | sha256sum -c -');
    const unzip = install.findIndex((c) => c.startsWith('unzip ') && c.includes('/tmp/terraform.zip'));
    expect(download).toBeGreaterThanOrEqual(0);
    expect(download).toBeLessThan(verify);
    expect(verify).toBeLessThan(unzip);
    // The tests' .terraformrc reads providers from the mirror only: the build fills it from the lock files.
    expect(install.filter((c) => /terraform providers mirror .*"\$TF_PLUGIN_MIRROR"/.test(c))).toHaveLength(2);
    expect(vars.TF_PLUGIN_MIRROR).toBe('/opt/tf-plugins');
    expect(readFileSync(join(ROOT, 'infrastructure/.terraformrc'), 'utf8')).toContain(`path    = "${vars.TF_PLUGIN_MIRROR}"`);
  });

  test('the build runs on the pinned Node 24 (.ci/node24), the line the image runs', () => {
    expect(spec.phases.install[0]).toBe('NODE24_BIN="$(.ci/node24)" && export PATH="$NODE24_BIN:$PATH"');
    expect(spec.phases.install[1]).toMatch(/^node --version \| grep -q '\^v24\\\.' && /);
    const node24 = readFileSync(join(ROOT, '.ci/node24'), 'utf8');
    expect(node24).toMatch(/^NODE24_VERSION="24\.\d+\.\d+"$/m);
    expect(node24).toMatch(/^NODE24_INTEGRITY="sha512-[A-Za-z0-9+/]{86}=="$/m);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^ARG NODE_IMAGE=node:24-/m);
  });

  test('the image is built and pushed to ECR, tagged by commit', () => {
    expect(all).toMatch(/IMAGE_TAG="\$\{CODEBUILD_RESOLVED_SOURCE_VERSION/);
    expect(spec.phases.build.join('\n')).toMatch(/docker build .*"\$IMAGE_REPO_URL:\$IMAGE_TAG"/);
    expect(spec.phases.post_build.join('\n')).toMatch(/docker push "\$IMAGE_REPO_URL:\$IMAGE_TAG"/);
    expect(all).toContain('ecr get-login-password');
  });

  test.each(['pipeline/buildspecs/plan.yml', 'pipeline/buildspecs/apply.yml'])('%s runs terraform', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const { version, phases } = buildspecPhases(text);
    expect(version).toBe('0.2');
    const commands = phases.build.join('\n');
    expect(commands).toContain('terraform init');
    expect(commands).toMatch(file.endsWith('plan.yml') ? /terraform plan .*-out=tfplan/ : /terraform apply -input=false tfplan/);
    // The same pinned terraform as the build, verified before it is unpacked.
    const vars = buildspecVariables(text);
    const build = buildspecVariables(readFileSync(join(ROOT, 'buildspec.yml'), 'utf8'));
    expect([vars.TF_VERSION, vars.TF_SHA256]).toEqual([build.TF_VERSION, build.TF_SHA256]);
    const verify = phases.install.indexOf('echo "${TF_SHA256}  /tmp/terraform.zip" | sha256sum -c -');
    expect(verify).toBeGreaterThan(0);
    expect(verify).toBeLessThan(phases.install.findIndex((c) => c.startsWith('unzip ')));
  });

  // The plan role can only read (pipeline/tests): plan must not take the state lock, which is a write.
  test('plan does not lock the state (its role is read-only); apply of the saved plan does', () => {
    const plan = buildspecPhases(readFileSync(join(ROOT, 'pipeline/buildspecs/plan.yml'), 'utf8')).phases.build.join('\n');
    expect(plan).toMatch(/terraform plan -input=false -lock=false /);
    expect(plan).not.toContain('use_lockfile=true');
    const apply = buildspecPhases(readFileSync(join(ROOT, 'pipeline/buildspecs/apply.yml'), 'utf8')).phases.build.join('\n');
    expect(apply).toContain('use_lockfile=true');
    expect(apply).not.toContain('-lock=false');
  });
});

describe('.ci/run', () => {
  const lines = readFileSync(join(ROOT, '.ci/run'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));

  test('sets CI, checks the types, runs npm test, then the end-to-end tests under the pinned Node 24', () => {
    expect(at(/^export CI=/)).toBeGreaterThanOrEqual(0);
    expect(at(/^npm ci /)).toBeLessThan(at(/^npm run typecheck$/));
    expect(at(/^npm run typecheck$/)).toBeLessThan(at(/^npm test$/));
    expect(at(/^node24_bin="\$\(\.ci\/node24\)"$/)).toBeGreaterThan(at(/^npm test$/));
    const e2e = lines[at(/jest tests\/e2e$/)];
    // Node 24 first on PATH, so the CLIs the tests spawn (tsx: #!/usr/bin/env node) run on it too.
    expect(e2e).toBe('PATH="$node24_bin:$PATH" "$node24_bin/node" node_modules/.bin/jest tests/e2e');
    expect(lines).toContain('export TZ=UTC');
  });

  test('tsconfig.json (npm run typecheck) covers src, jobs, tests and bench', () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    expect(tsconfig.include).toEqual(expect.arrayContaining(['src', 'jobs', 'tests', 'bench']));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.typecheck).toBe('tsc -p tsconfig.json --noEmit');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  test('multi-stage on Node 24 pinned by digest, production deps only, non-root, the job CLI as entrypoint', () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    expect(text).toContain('npm run build');
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toContain('ENTRYPOINT ["node", "dist/src/cli/job.js"]');
  });
});
