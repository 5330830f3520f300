import { parseLocalPlatformArgs } from '../../local/main';

describe('parseLocalPlatformArgs', () => {
  it('enforces IAM unless --no-iam is given', () => {
    expect(parseLocalPlatformArgs([]).iam).toBe(true);
    expect(parseLocalPlatformArgs(['--no-iam']).iam).toBe(false);
  });
});
