import { Injectable } from '@nestjs/common';
import type { ExportFormat } from '@app/contracts';
import { EXPORT_FORMATS } from '@app/contracts';
import { renderExport } from '@app/export';
import { ExportStore, TaskRepository } from '@app/persistence';
import { invalidFields } from '../http/validation';
import { notFound } from '../http/not-found';

/** A task's export: its layout read first (for the CSV header), then its records streamed page by page. */
@Injectable()
export class TaskExports {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly store: ExportStore,
  ) {}

  format(requested: string | undefined): ExportFormat {
    const format = requested ?? 'json';
    if (!(EXPORT_FORMATS as readonly string[]).includes(format))
      throw invalidFields([{ field: 'format', reasons: [`must be one of ${EXPORT_FORMATS.join(', ')}`] }]);
    return format as ExportFormat;
  }

  async render(taskId: string, format: ExportFormat): Promise<AsyncGenerator<string>> {
    const task = await this.tasks.findById(taskId);
    if (!task) throw notFound('Task', taskId);
    const dimensions = task.spec.dimensions;
    const fieldNames = format === 'csv' ? await this.store.fieldNames(taskId) : [];
    return renderExport(
      format,
      { fieldNames, dimensionIds: dimensions.map((dimension) => dimension.id) },
      this.store.records(taskId, dimensions),
    );
  }
}
