import type { PipeTransform } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import type { CreateTaskDto } from '@app/contracts';
import { validateOutputs } from '@app/export';
import { llmEnrichments, validateProcessing } from '@app/processing';
import { invalidFields } from './validation';

/**
 * The checks of a task request that class-validator cannot express: the processing chain's steps and
 * the outputs are tagged unions, checked by their own validators, which name each step's or output's
 * index and field; an LLM enrichment needs the llm_config a task without dimensions may leave out. Runs after the validation pipe, so the body's shape is known to be sound.
 */
@Injectable()
export class TaskRequestPipe implements PipeTransform<CreateTaskDto, CreateTaskDto> {
  transform(task: CreateTaskDto): CreateTaskDto {
    const chain = task.processing === undefined ? [] : validateProcessing(task.processing);
    const problems = [...chain, ...(task.outputs === undefined ? [] : validateOutputs(task.outputs))];
    if (chain.length === 0 && task.llm_config === undefined && llmEnrichments(task.processing).length > 0)
      problems.push({ field: 'llm_config', reasons: ['is required when the processing chain has an LLM enrichment'] });
    if (problems.length > 0) throw invalidFields(problems);
    return task;
  }
}
