import type { z } from 'zod';

/** One request/response call of a service: both sides validated with zod at the boundary. */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
}

export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodDef<I, O> {
  return { input, output };
}

export type ServiceDef = Record<string, MethodDef>;
