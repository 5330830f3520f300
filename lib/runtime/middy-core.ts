import type middyDefault from '@middy/core' with { 'resolution-mode': 'import' };

/**
 * `@middy/core` 6, loaded with `require`. Middy 6 ships ES modules only, and this package compiles to CommonJS under
 * `module: node16`, where TypeScript refuses a static import of an ES module; Node ≥ 20.19 loads it with `require`
 * (require(esm)), and esbuild bundles it into the Lambda entries either way.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const middy: typeof middyDefault = (require('@middy/core') as { default: typeof middyDefault }).default;
