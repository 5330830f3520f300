import { writeConsoleAssets } from './assets';

/**
 * Prebuilds the console web app for `npm run build`: writes the bundle beside the compiled assets module
 * (`dist/console/web`, or the folder given as the first argument) and prints each file's size.
 */
async function main(): Promise<void> {
  const dir = process.argv[2] ?? __dirname;
  const assets = await writeConsoleAssets(dir);
  for (const [path, asset] of assets) console.log(`console web: ${path} ${asset.body.length} bytes`);
}

main().catch((error: unknown) => {
  console.error(`console web: bundling failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
