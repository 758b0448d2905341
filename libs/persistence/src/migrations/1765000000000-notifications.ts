import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook notifications of a task's or a batch's end, through the outbox. A trigger writes the
 * notification in the very statement that ends a task, whichever of the stores, sweeps or cancels
 * ends it, so none is lost and none is sent for a task that did not end. A batch's notification is
 * written when its last task ends: the batch row's lock makes the ends of its tasks take turns, so
 * of two tasks ending at once the later one sees the earlier one ended.
 */
export class Notifications1765000000000 implements MigrationInterface {
  name = 'Notifications1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE batches ADD COLUMN notify jsonb');
    await queryRunner.query(`
      ALTER TABLE deliveries
        ALTER COLUMN task_id DROP NOT NULL,
        ADD COLUMN batch_id uuid REFERENCES batches(id) ON DELETE CASCADE,
        ADD COLUMN last_http_status int,
        ADD CONSTRAINT deliveries_batch_key_unique UNIQUE (batch_id, key),
        ADD CONSTRAINT deliveries_subject_check CHECK ((task_id IS NULL) <> (batch_id IS NULL))`);
    await queryRunner.query(`
      CREATE FUNCTION tasks_notify_on_end() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NEW.spec ? 'notify' THEN
          INSERT INTO deliveries (id, task_id, key, kind, spec)
          VALUES (gen_random_uuid(), NEW.id, 'notify', 'notify.webhook', jsonb_build_object(
            'event', CASE NEW.status WHEN 'failed' THEN 'task.failed' WHEN 'cancelled' THEN 'task.cancelled'
                                     ELSE 'task.completed' END,
            'url', NEW.spec #>> '{notify,webhook,url}'))
          ON CONFLICT DO NOTHING;
        END IF;
        IF NEW.batch_id IS NOT NULL THEN
          PERFORM 1 FROM batches WHERE id = NEW.batch_id AND notify IS NOT NULL FOR UPDATE;
          IF FOUND AND NOT EXISTS (
            SELECT 1 FROM tasks WHERE batch_id = NEW.batch_id AND status IN ('pending', 'running')
          ) THEN
            INSERT INTO deliveries (id, batch_id, key, kind, spec)
            SELECT gen_random_uuid(), b.id, 'notify', 'notify.webhook',
                   jsonb_build_object('event', 'batch.completed', 'url', b.notify #>> '{webhook,url}')
            FROM batches b WHERE b.id = NEW.batch_id
            ON CONFLICT DO NOTHING;
          END IF;
        END IF;
        RETURN NULL;
      END
      $fn$`);
    await queryRunner.query(`
      CREATE TRIGGER tasks_notify_on_end AFTER UPDATE OF status ON tasks FOR EACH ROW
      WHEN (OLD.status IN ('pending', 'running') AND NEW.status NOT IN ('pending', 'running'))
      EXECUTE FUNCTION tasks_notify_on_end()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER tasks_notify_on_end ON tasks');
    await queryRunner.query('DROP FUNCTION tasks_notify_on_end()');
    await queryRunner.query('DELETE FROM deliveries WHERE task_id IS NULL');
    await queryRunner.query(`
      ALTER TABLE deliveries
        DROP CONSTRAINT deliveries_subject_check,
        DROP CONSTRAINT deliveries_batch_key_unique,
        DROP COLUMN last_http_status,
        DROP COLUMN batch_id,
        ALTER COLUMN task_id SET NOT NULL`);
    await queryRunner.query('ALTER TABLE batches DROP COLUMN notify');
  }
}
