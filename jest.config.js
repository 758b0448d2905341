// Three tiers (see README "Testing"): unit specs beside the code, integration specs against real
// Redis and Postgres, end-to-end specs that start the four apps as separate processes, and deploy
// specs that check the Dockerfile, compose and Kubernetes manifests and run the apps as they say.
const moduleNameMapper = { '^@app/([a-z-]+)(|/.*)$': '<rootDir>/libs/$1/src$2' };
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = {
  rootDir: __dirname,
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  moduleNameMapper,
  transform,
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/apps', '<rootDir>/libs'], testRegex: '\\.spec\\.ts$' },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      testRegex: '\\.int-spec\\.ts$',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e'],
      testRegex: '\\.e2e-spec\\.ts$',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    // Not a tier of `npm test`: `npm run test:chaos` (README "Testing"), minutes of injected faults.
    { ...common, displayName: 'chaos', roots: ['<rootDir>/test/chaos'], testRegex: '\\.chaos-spec\\.ts$' },
    {
      ...common,
      displayName: 'deploy',
      roots: ['<rootDir>/test/deploy'],
      testRegex: '\\.deploy-spec\\.ts$',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
