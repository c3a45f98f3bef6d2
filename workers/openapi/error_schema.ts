// The one error body of the service, as the Error component of /openapi.json.
import { z } from '@hono/zod-openapi';
import { errorCodes } from '../errors/api_error';
import { EX } from './examples';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes).openapi({ description: 'snake_case, stable: branch on this, not on the message.', example: 'invalid_request' }),
      message: z.string().openapi({ description: 'A human sentence; for invalid_request it starts with the field.', example: 'amountMicros: Invalid input: expected int, received number' }),
      requestId: z.string().openapi({ description: 'Also in the X-Request-Id header; quote it when asking for help.', example: EX.requestId }),
    }),
  })
  .openapi('Error', { description: 'Every error answer has this body, with the HTTP status that fits the code.' });
