import { type Config, readConfig } from "../config";
import { type Db, getDb } from "../db/client";

/** What every service verb needs: bindings, the database and parsed configuration. */
export interface ServiceCtx {
  env: Env;
  db: Db;
  config: Config;
}

/**
 * A request's context is made once by the app's first middleware (`c.var.services`, src/app.ts);
 * a queue batch, a cron run or a job makes its own here.
 */
export function serviceCtx(env: Env, config: Config = readConfig(env)): ServiceCtx {
  return { env, db: getDb(env), config };
}
