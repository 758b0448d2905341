import type { ExportRecord } from '@app/contracts';
import { csvLine } from './csv';
import { renderExport } from './export-renderer';

function record(index: number, overrides: Partial<ExportRecord> = {}): ExportRecord {
  return {
    source_id: 'src',
    record_id: `r${index}`,
    status: 'evaluated',
    error: null,
    content: `text ${index}`,
    fields: { n: index },
    dimensions: { d1: { score: 0.5, passed: true, analysis: { score: 0.5 } } },
    ...overrides,
  };
}

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function render(format: 'json' | 'ndjson' | 'csv', records: ExportRecord[], fieldNames = ['n']) {
  let text = '';
  for await (const piece of renderExport(format, { fieldNames, dimensionIds: ['d1'] }, stream(records))) text += piece;
  return text;
}

describe(csvLine.name, () => {
  it('quotes by RFC 4180: commas, quotes, CR and LF; doubles quotes; ends lines with CRLF', () => {
    expect(csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', '', null, undefined, 3, true])).toBe(
      'plain,"a,b","say ""hi""","two\nlines","cr\rhere",,,,3,true\r\n',
    );
    expect(csvLine([{ a: 'x,y' }, [1, 2]])).toBe('"{""a"":""x,y""}","[1,2]"\r\n');
  });
});

describe(renderExport.name, () => {
  it('writes a JSON array, valid also when empty', async () => {
    const records = [record(1), record(2)];
    expect(JSON.parse(await render('json', records))).toEqual(records);
    expect(JSON.parse(await render('json', []))).toEqual([]);
  });

  it('writes one JSON object per line', async () => {
    const text = await render('ndjson', [record(1), record(2)]);
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([record(1), record(2)]);
    expect(await render('ndjson', [])).toBe('');
  });

  it('writes CSV with a header row: fixed columns, every field, three columns per dimension', async () => {
    const text = await render(
      'csv',
      [
        record(1, { content: 'He said "no", then left\nquickly' }),
        record(2, {
          fields: { other: 'x' },
          status: 'failed',
          error: 'step 0 (validate): n is required',
          dimensions: {},
        }),
      ],
      ['n', 'other'],
    );
    expect(text).toBe(
      [
        'source_id,record_id,status,error,content,fields.n,fields.other,d1.score,d1.passed,d1.analysis\r\n',
        'src,r1,evaluated,,"He said ""no"", then left\nquickly",1,,0.5,true,"{""score"":0.5}"\r\n',
        'src,r2,failed,step 0 (validate): n is required,text 2,,x,,,\r\n',
      ].join(''),
    );
  });

  it('hands the text on in pieces as the records arrive, not all at the end', async () => {
    let produced = 0;
    async function* many(): AsyncGenerator<ExportRecord> {
      for (let index = 0; index < 5_000; index += 1) {
        produced += 1;
        yield record(index, { content: 'x'.repeat(100) });
      }
    }
    const pieces = renderExport('ndjson', { fieldNames: [], dimensionIds: [] }, many());
    const first = await pieces.next();
    expect(first.done).toBe(false);
    expect(produced).toBeLessThan(5_000);
    let total = (first.value as string).length;
    for await (const piece of pieces) total += piece.length;
    expect(produced).toBe(5_000);
    expect(total).toBeGreaterThan(5_000 * 100);
  });
});
