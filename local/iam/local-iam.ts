import { LOCAL_CREDENTIALS } from '../../lib/contract';
import type { CfnTemplate, IntrinsicResolver } from '../intrinsics';
import type { PlatformTemplate } from '../platform-template';
import { type GatewayCaller, IamGateway, type ServiceEndpoints } from './iam-gateway';
import { readTemplateIam } from './template-iam';

/** The two identities of one consumer: its function's calls and its event source mapping's, both as the function's role. */
export interface ConsumerCallers {
  readonly consumer: GatewayCaller;
  readonly eventSource: GatewayCaller;
}

/** A running IAM gateway and the callers it knows, by function logical id. */
export interface LocalIam {
  readonly gateway: IamGateway;
  readonly callers: ReadonlyMap<string, ConsumerCallers>;
}

/** What {@link startLocalIam} needs. */
export interface StartLocalIamOptions {
  readonly template: CfnTemplate;
  readonly platform: PlatformTemplate;
  /** The resolver the local resources are registered with (policy ARNs resolve to them). */
  readonly resolver: IntrinsicResolver;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  /** The emulators: where allowed calls go unless a caller has its own upstream. */
  readonly emulators: ServiceEndpoints;
  /** The consumers' extra environment: its `AWS_ENDPOINT_URL_*` (a fault proxy) become their upstreams. @default - none */
  readonly functionEnvironment?: Readonly<Record<string, string>>;
  /** The event sources' SQS upstream (a fault proxy). @default - the emulator */
  readonly eventSourceSqsEndpoint?: string;
  readonly denialLogFile: string;
  readonly log: (line: string) => void;
}

/**
 * Reads the template's IAM and starts the {@link IamGateway} the local platform's consumers call through: one access
 * key id per consumer function and one per event source mapping, each bound to the function's role. The consumers'
 * own endpoints (`functionEnvironment`, for example a fault proxy) and the event sources' become the gateway's
 * upstreams for them, so IAM applies before any fault. Logs a line for a function whose role the template does not
 * define (not checked) and for managed policies it cannot see, and a note on the first denial.
 *
 * @example
 * const iam = await startLocalIam({ template, platform, resolver, stackName, region, accountId, emulators, denialLogFile, log });
 * env.AWS_ACCESS_KEY_ID = iam.callers.get(fnLogicalId)!.consumer.accessKeyId;
 */
export async function startLocalIam(options: StartLocalIamOptions): Promise<LocalIam> {
  const { log } = options;
  const iam = readTemplateIam(options.template, options.resolver, { stackName: options.stackName, accountId: options.accountId });
  const fnEnv = options.functionEnvironment ?? {};
  const consumerUpstreams: Partial<Record<keyof ServiceEndpoints, string>> = {};
  for (const service of ['sqs', 's3', 'dynamodb'] as const) {
    const endpoint = fnEnv[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] ?? fnEnv['AWS_ENDPOINT_URL'];
    if (endpoint !== undefined) consumerUpstreams[service] = endpoint;
  }
  const callers = new Map<string, ConsumerCallers>();
  for (const mapping of options.platform.eventSourceMappings) {
    const definition = options.platform.functions.find((fn) => fn.logicalId === mapping.functionLogicalId);
    if (definition === undefined) continue;
    const roleId = iam.functionRoles.get(definition.logicalId);
    const role = roleId === undefined ? undefined : iam.roles.get(roleId);
    if (role === undefined) {
      log(`IAM: ${definition.functionName}'s role is not defined in the template; its calls are not checked`);
      continue;
    }
    if (role.unknownManagedPolicies.length > 0) {
      log(`IAM: ${role.roleName} carries managed policies the template does not define, which grant nothing locally: ${role.unknownManagedPolicies.join(', ')}`);
    }
    callers.set(definition.logicalId, {
      consumer: {
        accessKeyId: `LOCALFN${definition.logicalId}`,
        label: definition.functionName,
        sessionName: definition.functionName,
        role,
        upstreams: consumerUpstreams,
      },
      eventSource: {
        accessKeyId: `LOCALESM${mapping.logicalId}`,
        label: `event source mapping of ${definition.functionName}`,
        sessionName: definition.functionName,
        role,
        ...(options.eventSourceSqsEndpoint === undefined ? {} : { upstreams: { sqs: options.eventSourceSqsEndpoint } }),
      },
    });
  }
  let noted = false;
  const gateway = await IamGateway.start({
    upstreams: options.emulators,
    callers: [...callers.values()].flatMap((caller) => [caller.consumer, caller.eventSource]),
    resourcePolicies: iam.resourcePolicies,
    scope: { region: options.region, accountId: options.accountId },
    upstreamAccessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    denialLogFile: options.denialLogFile,
    onDenial: (denial) => {
      if (noted) return;
      noted = true;
      log(`IAM denied ${denial.action} on ${denial.resource} to ${denial.role} (${denial.caller}); every denial goes to ${options.denialLogFile}`);
    },
  });
  log(`IAM enforced from the template for ${callers.size} consumer(s) through ${gateway.endpoint} (--no-iam turns it off)`);
  return { gateway, callers };
}
