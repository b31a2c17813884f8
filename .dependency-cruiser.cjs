/**
 * The import direction of ace-unit (docs/architecture.md), checked by tests/architecture/imports.test.ts:
 *   cli → ops/graph/query/gen → jobs → run → sql/lake/catalog/warehouse/engine/aws → rules/time/config
 * A folder may import its own layer and any layer below, never one above; nothing imports src/cli;
 * no module takes part in an import cycle.
 */
const LAYERS = [
  ['^src/cli/'],
  ['^src/ops/', '^src/graph/', '^src/query/', '^src/gen/'],
  ['^jobs/'],
  ['^src/run/'],
  ['^src/sql/', '^src/lake/', '^src/catalog/', '^src/warehouse/', '^src/engine/', '^src/aws/'],
  ['^src/rules/', '^src/time/', '^src/config/', '^src/errors\\.ts$', '^src/log\\.ts$', '^src/faults\\.ts$'],
];

const upward = LAYERS.flatMap((layer, i) =>
  i === 0
    ? []
    : [
        {
          name: `layer-${i}-imports-upward`,
          comment: `${layer.join(', ')} may import only its own layer and the layers below it (docs/architecture.md)`,
          severity: 'error',
          from: { path: layer },
          to: { path: LAYERS.slice(0, i).flat() },
        },
      ],
);

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'an import cycle makes the layers meaningless', severity: 'error', from: {}, to: { circular: true } },
    { name: 'nothing-imports-cli', comment: 'src/cli is the edge: argv in, exit codes out', severity: 'error', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|tests|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
