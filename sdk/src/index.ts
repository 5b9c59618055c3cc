/** @edgehooks/sdk: a typed client for the Edgehooks API and signature checks for receivers. */
export { Edgehooks, type EdgehooksOptions, type Schemas } from "./client.js";
export { EdgehooksError, type ErrorIssue } from "./errors.js";
export { collect, type Page, paginate } from "./paginate.js";
export type { components, operations, paths } from "./schema.gen.js";
export { type SignatureProfile, type VerifyInput, verifyWebhook, WebhookVerificationError } from "./verify.js";
