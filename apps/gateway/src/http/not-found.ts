import { NotFoundException } from '@nestjs/common';

/**
 * The 404 of a task or batch id that names none, or none of the caller's: the same answer in both
 * cases, so an API key cannot learn which ids other keys own.
 */
export function notFound(kind: 'Task' | 'Batch', id: string): NotFoundException {
  return new NotFoundException(`${kind} ${id} not found`);
}
