import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { validationError } from '../errors/error_handler';

// Every router validates with the same hook, so a bad field always becomes the same 400 body.
export const newRouter = () =>
  new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target, result.error);
    },
  });

export type Router = ReturnType<typeof newRouter>;
