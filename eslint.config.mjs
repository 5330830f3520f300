import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noCdkInRuntime = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', '**/constructs/*', '**/stacks/*', '**/lib/constructs', '**/lib/stacks'],
          message: 'lib/sdk, lib/aws, lib/runtime, lib/contract and lambdas/ must not import the CDK: they ship in Lambda bundles and services.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', 'coverage/', 'scratch/', '.bosun/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  { files: ['lib/sdk/**/*.ts', 'lib/celery/**/*.ts', 'lib/aws/**/*.ts', 'lib/runtime/**/*.ts', 'lib/contract/**/*.ts', 'lambdas/**/*.ts'], rules: noCdkInRuntime },
);
