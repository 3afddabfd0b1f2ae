import tseslint from 'typescript-eslint';

// A domain folder of src/core is reached only through its index.ts; its other files are its own.
const DOMAIN_INNER_FILE = {
  message: 'Import this domain through its index.ts (the folder), not one of its files.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The service layer runs outside VS Code too (tests, the command line).
    files: ['src/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core must not import vscode at runtime.', allowTypeImports: true }],
          // From src/core/<a>/x.ts, "../<b>/y" reaches into another domain; "../<b>" is its index.
          patterns: [{ regex: '^\\.\\./[^/]+/', ...DOMAIN_INNER_FILE }],
        },
      ],
    },
  },
  {
    files: ['src/extension/**/*.ts', 'src/cli/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '(^|/)core/[^/]+/[^/]+', ...DOMAIN_INNER_FILE }],
        },
      ],
    },
  },
);
