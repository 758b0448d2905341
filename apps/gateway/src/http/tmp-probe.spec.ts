import { BadRequestException } from '@nestjs/common';
import { CreateTaskDto, EXAMPLE_TASK } from '@app/contracts';
import { RequestValidationPipe } from './validation';
const probe = async (v: unknown) => { try { const r = await new RequestValidationPipe().transform(v, { type: 'body', metatype: CreateTaskDto }); return { ok: r }; } catch (e) { return (e as BadRequestException).getResponse(); } };
it('probe', async () => {
  const c = () => JSON.parse(JSON.stringify(EXAMPLE_TASK));
  const out: unknown[] = [];
  out.push(await probe(c()));
  out.push(await probe({ ...c(), extra: 1 }));
  const t = c(); t.dimensions[0].threshold = 1.5; out.push(await probe(t));
  const t2 = c(); t2.dimensions[0].threshold = '0.6'; out.push(await probe(t2));
  const t3 = c(); t3.data_sources[1].id = 'db1'; out.push(await probe(t3));
  const t4 = c(); delete t4.data_sources[0].connection; out.push(await probe(t4));
  out.push(await probe([])); out.push(await probe(null)); out.push(await probe('x'));
  const t5 = c(); t5.data_sources = Array.from({length: 101}, (_, i) => ({ id: `s${i}`, type: 'api', url: 'u' })); out.push(await probe(t5));
  const t6 = c(); t6.data_sources[0].simulation = { records: -1, foo: 2 }; out.push(await probe(t6));
  const t7 = c(); t7.data_sources[0].bogus = 1; out.push(await probe(t7));
  console.log(JSON.stringify(out, null, 1));
});
