import { LocalTemplateError } from '../../../local/errors';
import { readTemplateIam } from '../../../local/iam/template-iam';
import { type CfnTemplate, IntrinsicResolver, LOCAL_ACCOUNT_ID } from '../../../local/intrinsics';

const pseudo = { region: 'us-east-1', accountId: LOCAL_ACCOUNT_ID, stackName: 'Bosun-local' };
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:bosun-local-default';

function resolverFor(template: CfnTemplate): IntrinsicResolver {
  const resolver = new IntrinsicResolver(template, pseudo);
  resolver.register('Queue', { ref: 'http://127.0.0.1:1/000000000000/bosun-local-default', attributes: { Arn: QUEUE_ARN } });
  resolver.register('Bucket', { ref: 'bosun-local-bucket', attributes: { Arn: 'arn:aws:s3:::bosun-local-bucket' } });
  return resolver;
}

const statement = (Action: string, Resource: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});

function template(extra: Record<string, CfnTemplate['Resources'][string]> = {}): CfnTemplate {
  return {
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue' },
      Bucket: { Type: 'AWS::S3::Bucket' },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [{ PolicyName: 'inline', PolicyDocument: { Statement: [statement('sqs:ReceiveMessage', { 'Fn::GetAtt': ['Queue', 'Arn'] })] } }],
          ManagedPolicyArns: [
            { Ref: 'Managed' },
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole']] },
            'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
          ],
        },
      },
      NamedRole: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'custom-name', Path: '/service/' } },
      DefaultPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'p',
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Statement: [
              statement('s3:PutObject', { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/task-results/*']] }),
              statement('s3:ListBucket', { 'Fn::GetAtt': ['Bucket', 'Arn'] }, { Condition: { StringLike: { 's3:prefix': 'claim-checks/*' } } }),
            ],
          },
        },
      },
      Managed: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: { PolicyDocument: { Statement: [statement('sqs:SendMessage', { 'Fn::GetAtt': ['Queue', 'Arn'] })] } },
      },
      AttachedManaged: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: { Roles: [{ Ref: 'NamedRole' }], PolicyDocument: { Statement: [statement('dynamodb:GetItem', '*')] } },
      },
      Function: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
      ImportedRoleFunction: { Type: 'AWS::Lambda::Function', Properties: { Role: 'arn:aws:iam::123456789012:role/elsewhere' } },
      QueuePolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Queue' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 'sqs:*',
                Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          },
        },
      },
      BucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: { Ref: 'Bucket' },
          PolicyDocument: {
            Statement: [
              // A service principal's statement may use keys the gateway never sets: it cannot apply to a role.
              { Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: '*', Condition: { StringEquals: { 'aws:SourceAccount': '1' } } },
            ],
          },
        },
      },
      ...extra,
    },
  };
}

describe('readTemplateIam', () => {
  it("gathers a role's inline, AWS::IAM::Policy, template managed and known AWS managed statements, resolved", () => {
    const iam = readTemplateIam(template(), resolverFor(template()), pseudo);
    const role = iam.roles.get('Role')!;

    expect(role.arn).toBe('arn:aws:iam::000000000000:role/Bosun-local-Role');
    expect(role.identity.map((s) => [s.Action, s.Resource])).toEqual([
      ['s3:PutObject', 'arn:aws:s3:::bosun-local-bucket/task-results/*'],
      ['s3:ListBucket', 'arn:aws:s3:::bosun-local-bucket'],
      ['sqs:ReceiveMessage', QUEUE_ARN],
      ['sqs:SendMessage', QUEUE_ARN],
      [expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']), '*'],
    ]);
    expect(role.unknownManagedPolicies).toEqual(['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']);
  });

  it('names roles as CloudFormation would and attaches managed policies that list their roles', () => {
    const iam = readTemplateIam(template(), resolverFor(template()), pseudo);

    expect(iam.roles.get('NamedRole')).toMatchObject({ roleName: 'custom-name', arn: 'arn:aws:iam::000000000000:role/service/custom-name' });
    expect(iam.roles.get('NamedRole')!.identity).toEqual([statement('dynamodb:GetItem', '*')]);
  });

  it("maps each function to its role, leaving out a function whose role the template does not define", () => {
    const iam = readTemplateIam(template(), resolverFor(template()), pseudo);

    expect([...iam.functionRoles]).toEqual([['Function', 'Role']]);
  });

  it('reads queue and bucket policies with the ARNs of the resources they govern', () => {
    const iam = readTemplateIam(template(), resolverFor(template()), pseudo);

    expect(iam.resourcePolicies.map((p) => [p.logicalId, p.resourceArns, p.statements.length])).toEqual([
      ['QueuePolicy', [QUEUE_ARN], 1],
      ['BucketPolicy', ['arn:aws:s3:::bosun-local-bucket'], 1],
    ]);
  });

  it('refuses a condition key it cannot evaluate, naming where and what is known', () => {
    const bad = template({
      Extra: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: { Statement: [statement('dynamodb:GetItem', '*', { Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['a'] } } })] },
        },
      },
    });

    expect(() => readTemplateIam(bad, resolverFor(bad), pseudo)).toThrow(LocalTemplateError);
    expect(() => readTemplateIam(bad, resolverFor(bad), pseudo)).toThrow(
      /^Resources\.Extra\.Properties\.PolicyDocument\.Statement\[0\]\.Condition\.ForAllValues:StringEquals\.dynamodb:LeadingKeys: the condition key dynamodb:LeadingKeys is not known to the local platform's IAM enforcement \(known: aws:SecureTransport, .*s3:prefix.*\); start it with --no-iam/,
    );
  });

  it('refuses a condition operator it cannot evaluate, and a boundary the template does not define', () => {
    const operator = template({
      Extra: {
        Type: 'AWS::IAM::Policy',
        Properties: { Roles: [{ Ref: 'Role' }], PolicyDocument: { Statement: [statement('s3:*', '*', { Condition: { DateLessThan: { 'aws:CurrentTime': 'x' } } })] } },
      },
    });
    const boundary = template({ Bounded: { Type: 'AWS::IAM::Role', Properties: { PermissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess' } } });

    expect(() => readTemplateIam(operator, resolverFor(operator), pseudo)).toThrow(/the condition operator DateLessThan is not evaluated/);
    expect(() => readTemplateIam(boundary, resolverFor(boundary), pseudo)).toThrow(
      /^Resources\.Bounded\.Properties\.PermissionsBoundary: must reference an AWS::IAM::ManagedPolicy of the template/,
    );
  });
});
