/** Free-form labels a tenant or an endpoint carries: small, so a row stays small. Plain zod; src/routes adds the API description. */
import { z } from "zod";

export const MetadataSchema = z
  .record(z.string().max(100), z.string().max(1000))
  .refine((m) => Object.keys(m).length <= 50, "at most 50 metadata keys");
