import { getDb, type Db } from "../db/client";
import { readConfig, type Config } from "../config";

/** What every service verb needs: bindings, the database and parsed configuration. */
export interface ServiceCtx {
  env: Env;
  db: Db;
  config: Config;
}

export function serviceCtx(env: Env): ServiceCtx {
  return { env, db: getDb(env), config: readConfig(env) };
}
