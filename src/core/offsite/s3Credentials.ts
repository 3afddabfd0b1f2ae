import type { Logger } from '../common';
import type { S3Credentials } from './s3Backend';
import type { S3ErrorContext } from './s3Error';
import type { S3Sdk } from './s3Sdk';

type CredentialProvider = ReturnType<S3Sdk['fromNodeProviderChain']>;

/**
 * Where the keys that sign the requests came from, in the log's words, read from the features
 * the SDK's providers mark their answer with (`$source`, not in the SDK's public type). The keys
 * themselves are never part of it.
 */
export function credentialSource(
  identity: { $source?: Record<string, unknown> },
  profile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const features = Object.keys(identity.$source ?? {});
  const has = (prefix: string) => features.some((f) => f.startsWith(prefix));
  if (features.includes('CREDENTIALS_ENV_VARS')) return 'the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  if (has('CREDENTIALS_PROFILE')) return `the profile "${profile || env.AWS_PROFILE || 'default'}" (~/.aws/credentials and ~/.aws/config)`;
  if (has('CREDENTIALS_SSO')) return 'AWS IAM Identity Center (SSO)';
  if (has('CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN')) return 'the web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE)';
  if (has('CREDENTIALS_PROCESS')) return 'a credential_process';
  if (has('CREDENTIALS_HTTP')) return "the container's credentials endpoint";
  return 'the AWS credential chain';
}

export interface CredentialChainOptions {
  /** Keys saved for this destination (the OS keychain in VS Code); asked first, on each new client. */
  savedKeys?: (where: string) => Promise<S3Credentials | undefined>;
  profile?: string;
  logger?: Logger;
}

/**
 * The keys for one client: the saved ones when there are, else the standard AWS chain
 * (environment, then the profile's files, SSO, a credential process, a container or instance
 * role). Which source signed is said once in the log, and error messages name it too.
 */
export function s3CredentialChain(
  sdk: Pick<S3Sdk, 'fromNodeProviderChain'>,
  ctx: S3ErrorContext,
  options: CredentialChainOptions,
): CredentialProvider {
  const chain = sdk.fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  let said = false;
  const say = (source: string) => {
    if (said) return;
    said = true;
    options.logger?.info(`S3 requests to ${ctx.where} are signed with ${source}.`);
  };
  return async (props) => {
    const saved = await options.savedKeys?.(ctx.where);
    if (saved) {
      ctx.givenKeys = true;
      say('keys saved in the OS keychain');
      return saved;
    }
    ctx.givenKeys = false;
    const found = await chain(props);
    say(credentialSource(found as { $source?: Record<string, unknown> }, options.profile));
    return found;
  };
}
