/** @edgehooks/sdk: a typed client for the Edgehooks API and signature checks for receivers. */
export { Edgehooks, type EdgehooksOptions, type Schemas } from "./client.js";
export { EdgehooksError, type ErrorIssue } from "./errors.js";
export { collect, paginate, type Page } from "./paginate.js";
export { verifyWebhook, WebhookVerificationError, type SignatureProfile, type VerifyInput } from "./verify.js";
export type { components, operations, paths } from "./schema.gen.js";
