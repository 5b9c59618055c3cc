/** Brought signing secrets: checked against the scheme the endpoint signs with, 400 naming `secret`. */
import { type SecretScheme, secretProblem } from "../delivery/secret";
import type { SignatureProfile } from "../delivery/sign";
import { badRequest } from "../errors";

/** Throws 400 when `secret` cannot sign under `profile`; the message never repeats the secret. */
export function assertOwnSecret(secret: string, profile: SignatureProfile, path = "secret") {
  const problem = secretProblem(secret, profile.scheme as SecretScheme);
  if (problem)
    throw badRequest(`this secret does not fit the ${profile.scheme} signature scheme`, [{ path, message: problem }]);
}
