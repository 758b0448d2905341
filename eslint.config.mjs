// ESLint (flat config): type-aware typescript-eslint rules, and the import boundaries between apps and
// libs (README "Layout"). Formatting is Prettier's job, so no stylistic rules here.
import eslint from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // An AbortSignal's reason is typed `any`; passing it on unchanged is what callers expect.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      // Nest resolves constructor parameters by their emitted types, so an injected class must stay a
      // value import; `fixStyle` keeps type-only imports separate and visible.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Boundaries between the monorepo's parts. Tests (specs beside the code and test/) may import anything.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
      'boundaries/include': ['apps/**/*', 'libs/**/*'],
      'boundaries/elements': [
        { type: 'app', pattern: 'apps/*', capture: ['app'] },
        { type: 'lib', pattern: 'libs/*', capture: ['lib'] },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            // An app uses any lib, and its own files; never another app.
            { from: { element: { type: 'app' } }, allow: { to: { element: { type: 'lib' } } } },
            {
              from: { element: { type: 'app' } },
              allow: { to: { element: { type: 'app', captured: { app: '{{ from.element.captured.app }}' } } } },
            },
            // A lib uses its own files and other libs, never an app…
            { from: { element: { type: 'lib' } }, allow: { to: { element: { type: 'lib' } } } },
            // …except that the foundations stand alone…
            {
              from: { element: { type: 'lib', captured: { lib: ['contracts', 'common', 'config'] } } },
              disallow: {
                to: { element: { type: 'lib', captured: { lib: '!{{ from.element.captured.lib }}' } } },
              },
            },
            // …and the LLM client knows neither the pipeline nor a particular provider.
            {
              from: { element: { type: 'lib', captured: { lib: 'llm' } } },
              disallow: { to: { element: { type: 'lib', captured: { lib: ['pipeline', 'simulators'] } } } },
            },
          ],
        },
      ],
      // Every import of ours must land in a known app or lib.
      'boundaries/no-unknown-dependencies': 'error',
    },
  },
  {
    // Tests read HTTP and Redis payloads as untyped JSON and let `expect` check their shape at run time;
    // their fakes implement async interfaces with plain values. Everything else applies to them too.
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
);
