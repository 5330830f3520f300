import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { App } from 'aws-cdk-lib';
import { TaskQueueEncryption } from '../../lib/constructs';
import { DEFAULT_PLATFORM, PlatformStack, RECOMMENDED_CONTEXT, createBosunApp } from '../../lib/stacks';

describe('cdk-nag AwsSolutions on the Bosun app', () => {
  const outdirs: string[] = [];
  const outdir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-nag-'));
    outdirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('synthesizes the real app, consumers bundled, with zero unacknowledged findings', () => {
    // GIVEN the app bin/app.ts builds, bundling for real
    const { app, stack } = createBosunApp({ outdir: outdir(), context: { stage: 'ci' } }, {});
    // WHEN it is checked and synthesized (synth throws on any finding the pack reports)
    const report = new AwsSolutionsChecks().validateScope(app);
    const assembly = app.synth();
    // THEN
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
    const bundles = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(bundles).toHaveLength(2);
    for (const bundle of bundles) expect(readdirSync(join(assembly.directory, bundle)).sort()).toEqual(['index.js', 'index.js.map']);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 2);
  }, 180_000);

  it('stays clean with the alarm topic', () => {
    const { app } = createBosunApp(
      { outdir: outdir(), context: { stage: 'ci', alarmTopic: 'true', 'aws:cdk:bundling-stacks': [] } },
      {},
    );
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations).toEqual([]);
  });

  it('stays clean with KMS-encrypted queues', () => {
    const app = new App({ context: { ...RECOMMENDED_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    new PlatformStack(app, 'Bosun-kms', { stage: 'kms', definition: { ...DEFAULT_PLATFORM, encryption: TaskQueueEncryption.KMS } });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations).toEqual([]);
  });

  it('reports a finding the platform did not acknowledge', () => {
    // GIVEN the app with one queue added that has neither a DLQ nor TLS enforcement
    const { app, stack } = createBosunApp({ outdir: outdir(), context: { stage: 'ci', 'aws:cdk:bundling-stacks': [] } }, {});
    new Queue(stack, 'Unchecked');
    // WHEN
    const report = new AwsSolutionsChecks().validateScope(app);
    // THEN
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
