// Node module hooks that make the `webgpu` package unresolvable, as in an install without it
// (test/gpu_errors.test.ts starts a child process with these registered).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === 'webgpu') throw new Error("Cannot find package 'webgpu'");
  return next(specifier, context);
}`),
);
