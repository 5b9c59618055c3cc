/**
 * Deployment-wide defaults for endpoints that leave `signature` or `retry_policy` unset:
 * `DEFAULT_SIGNATURE` (a JSON profile, e.g. `{"scheme":"hmac-sha256-hex","header":"X-Webhook-Signature"}`)
 * and `DEFAULT_RETRY_POLICY` (a preset name or a JSON `{"schedule_s":[...]}`). They are read at
 * use, not copied into rows, so changing the var moves every endpoint still on the default.
 */
import { type RetryPolicy, RetryPolicySchema } from "../delivery/retry-policy";
import type { SignatureProfile } from "../delivery/sign";
import { SignatureProfileSchema } from "../domain/endpoint-rules";
import { log } from "../lib/log";

export interface DeploymentDefaults {
  signature: SignatureProfile;
  retryPolicy: RetryPolicy;
}

export const BUILT_IN_DEFAULTS: DeploymentDefaults = { signature: { scheme: "standard" }, retryPolicy: "standard" };

type DefaultsEnv = Pick<Env, "DEFAULT_SIGNATURE" | "DEFAULT_RETRY_POLICY">;

const cache = new Map<string, DeploymentDefaults>();

/** Parses the two vars once per isolate; a bad value is logged and the built-in default used. */
export function deploymentDefaults(env: DefaultsEnv): DeploymentDefaults {
  const key = `${env.DEFAULT_SIGNATURE ?? ""}\n${env.DEFAULT_RETRY_POLICY ?? ""}`;
  let found = cache.get(key);
  if (!found) {
    found = {
      signature: parseVar(
        "DEFAULT_SIGNATURE",
        env.DEFAULT_SIGNATURE,
        SignatureProfileSchema,
        BUILT_IN_DEFAULTS.signature,
      ),
      retryPolicy: parseVar(
        "DEFAULT_RETRY_POLICY",
        env.DEFAULT_RETRY_POLICY,
        RetryPolicySchema,
        BUILT_IN_DEFAULTS.retryPolicy,
      ),
    };
    cache.set(key, found);
  }
  return found;
}

function parseVar<T>(
  name: string,
  raw: string | undefined,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } },
  fallback: T,
): T {
  const text = raw?.trim();
  if (!text) return fallback;
  let value: unknown = text;
  if (text.startsWith("{")) {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  log.error("config.invalid", { name, message: `${name} is not a valid value; using the built-in default` });
  return fallback;
}
