import type { Config } from "../config";
import type { Principal } from "../auth/principal";

/** Hono's typing for this app: the Worker's bindings and what middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    principal: Principal;
  };
};
