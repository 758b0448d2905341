import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { NotifySpec } from '@app/contracts';

/** Tasks submitted together; everything else about a batch is aggregated from its tasks. */
@Entity({ name: 'batches' })
export class BatchEntity {
  @PrimaryColumn('uuid') id: string;
  /** Tasks as submitted (a purged task leaves the batch's figures, not this number). */
  @Column({ type: 'int' }) total: number;
  /** The name of the API key that submitted it (and owns its tasks); null when the API was open. */
  @Column({ type: 'varchar', length: 64, nullable: true }) owner: string | null;
  /** The webhook told when every task of the batch has ended (NotifySpec, its secret included). */
  @Column({ type: 'jsonb', nullable: true }) notify: NotifySpec | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
