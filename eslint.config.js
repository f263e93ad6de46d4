// Lint rules for drdeck: typescript-eslint's recommended set, React hooks' rules for the screens,
// and prettier's config last so formatting is prettier's alone (`npm run format:check`).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/cluster/crds/', 'test/cluster/go/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Kubernetes objects are open-ended: `spec` and `status` are typed `any` on purpose (src/cluster.ts).
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/screens/**/*.tsx', 'src/hooks/**/*.ts', 'src/commands/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  prettier,
);
