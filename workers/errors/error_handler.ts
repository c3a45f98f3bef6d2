import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import type { AppEnv } from '../env';
import { ApiError } from './api_error';

export function errorBody(c: Context<AppEnv>, code: string, message: string) {
  return { error: { code, message, requestId: c.get('requestId') ?? 'unknown' } };
}

// The one error handler: every failure leaves the service in the contract's error shape.
export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(c, err.code, err.message), err.status as 400);
  }
  // Hono raises HTTPException(400) for a body that is not valid JSON.
  // Hono raises HTTPException(400) for malformed JSON and 415 for a non-JSON content type: both are
  // bad input, which the contract answers with 400 invalid_request.
  if (err instanceof HTTPException && err.status < 500) {
    const detail = err.status === 415 ? 'send the body as application/json' : err.message || 'malformed request body';
    return c.json(errorBody(c, 'invalid_request', `body: ${detail}`), 400);
  }
  console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), error: String(err), stack: err.stack }));
  return c.json(errorBody(c, 'internal_error', 'Something went wrong on our side; nothing was acknowledged.'), 500);
}

// Turns a zod failure into the message clients get: the first problem, naming the field.
export function validationError(target: string, error: ZodError): ApiError {
  const issue = error.issues[0];
  // A body that is not an object at all is named `body`, like malformed JSON.
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : target === 'json' ? 'body' : target;
  const message = issue?.message ?? 'invalid value';
  return new ApiError('invalid_request', `${path}: ${message}`);
}
