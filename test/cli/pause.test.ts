import { bosun, createTestPlatform, type TestPlatform } from './support';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await createTestPlatform('pause');
});

afterAll(async () => {
  await platform.destroy();
});

describe('bosun pause, resume and drain without a mapping API', () => {
  it.each([['pause', 'default'], ['resume'], ['drain']])(
    '%s fails with exit 1 against a local platform started before it served event source mappings, saying to restart it',
    async (...command) => {
      const result = await bosun([...command, '--data-dir', platform.dataDir]);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'error: the local platform (stage local) names no Lambda event-source-mapping API in its platform.json (it was ' +
          'started before Bosun had one): restart it with `npm start`\n',
      );
    },
  );
});
