import type { Principal } from "../auth/principal";
import type { Config } from "../config";
import type { ServiceCtx } from "../services/context";

/** Hono's typing for this app: the Worker's bindings and what middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    /** What every verb takes: made once per request, so handlers never build their own. */
    services: ServiceCtx;
    principal: Principal;
  };
};
