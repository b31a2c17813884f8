/** Secrets Manager: reads a secret's string. The value is returned, never logged or put in a message. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../errors.js';
import { awsHint, awsMessage } from './errors.js';

export async function getSecretString(arn: string, client: SecretsManagerClient = new SecretsManagerClient({})): Promise<string> {
  let res;
  try {
    res = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  } catch (err) {
    throw new ConfigError(`cannot read the secret ${arn}: ${awsMessage(err)}${awsHint(err)}; check ACE_WAREHOUSE_SECRET_ARN`, {}, { cause: err });
  }
  if (typeof res.SecretString !== 'string' || res.SecretString === '') {
    throw new ConfigError(`the secret ${arn} has no SecretString (binary secrets are not supported); store the credentials as JSON or a postgres:// URL`);
  }
  return res.SecretString;
}
