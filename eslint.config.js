// ESLint (issue 20): typescript-eslint's recommended type-checked rules over the server (src/, test/, bench/),
// the dashboard (web/, its own tsconfig) and the scripts in bin/. Every rule switched off or narrowed here says
// why; docs/decisions.md ("Formatting and lint") has the same list.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'web/dist/', 'test-artifacts/', 'bench/results/', 'data/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig that owns it: tsconfig.json for src/, test/ and bench/,
        // web/tsconfig.json for web/. The soak config is in neither.
        projectService: { allowDefaultProject: ['vitest.soak.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `any` reaches the code only where a library hands it over untyped: commander's action arguments, vitest's
      // asymmetric matchers (`expect.stringMatching`, `expect.any`), `response.json()` in tests and the dashboard,
      // @fastify/websocket's socket, microdiff's values. Real edges are parsed with zod (house style: types from
      // schemas) and `no-explicit-any` stays on for src/, so these five rules would only flag reads of those values.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Async functions without `await` are how this code implements async contracts (ports, outbox handlers,
      // Fastify routes and plugins, Kysely drivers, test doubles): keeping them `async` makes a throw a rejection,
      // which is what callers handle. Removing `async` would change that; the rule flags style, not a defect.
      '@typescript-eslint/require-await': 'off',
      // `String(body.field ?? '')` on untyped JSON (the vendor emulators, request queries) is the intended
      // coercion; those values are `unknown`/`{}` to the checker, which the rule cannot tell from real objects.
      '@typescript-eslint/no-base-to-string': 'off',
      // Callback props and ports are declared in method shorthand (`onDone(): void`) and none uses `this`; the
      // rule reads every such destructure as a detached method.
      '@typescript-eslint/unbound-method': 'off',
      // Passing on an error exactly as it was caught (`catch (error) { reject(error) }`, a library callback's
      // error) is right; the rule is kept for rejections with a literal or a non-error value.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Leaving a key out with a rest sibling (`const { raw: _raw, ...message } = row`) is the house idiom; an
      // underscore marks a name that is deliberately unused.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['web/src/**/*.tsx'],
    rules: {
      // React ignores what an event handler returns; the dashboard's async handlers run through `useAction().run`
      // (web/src/shared.tsx) or their own try/catch, which show the error, so a promise given to onClick is not lost.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    files: ['web/src/api.ts', 'web/src/screens/Offices.tsx', 'web/src/screens/Onboarding.tsx'],
    rules: {
      // `api<T = any>` lets a screen name the answer's type where it uses it; the office editor and the onboarding
      // wizard edit the office document as free-form JSON, which the server validates with its zod schema.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['test/**', 'bench/**', '**/*.test.ts', '**/*.test.tsx'],
    rules: {
      // Tests and benchmarks read JSON answers (`response.json()`, `inject().json()`) and assert on them; typing
      // each answer would repeat the server's types for no extra safety. Production code keeps the rule.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Plain JavaScript (bin/, the module-recorder fixtures, this file) is in no tsconfig: lint it without types.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
