import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Lambda runtime of every Bosun consumer: Node.js 22, a current LTS. */
export const CONSUMER_RUNTIME = Runtime.NODEJS_22_X;

/** CPU architecture of every Bosun consumer: arm64 (Graviton), cheaper per GB-second than x86_64. */
export const CONSUMER_ARCHITECTURE = Architecture.ARM_64;

/**
 * esbuild options every Bosun consumer is bundled with, exported so the runtime's bundle-size benchmark builds
 * exactly what `cdk deploy` ships. Always the locally installed esbuild (never Docker); CommonJS, minified, with
 * linked source maps (without embedded sources) that `NODE_OPTIONS=--enable-source-maps` turns into readable stack
 * traces. The AWS SDK is bundled rather than taken from the runtime, so the deployed SDK is the one the tests ran.
 *
 * @example
 * new NodejsFunction(this, 'Fn', { entry: 'lambdas/default-consumer.ts', bundling: CONSUMER_BUNDLING });
 */
export const CONSUMER_BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.CJS,
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  bundleAwsSDK: true,
  logLevel: LogLevel.WARNING,
};
