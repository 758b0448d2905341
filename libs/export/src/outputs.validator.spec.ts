import { validateOutputs } from './outputs.validator';

describe(validateOutputs.name, () => {
  it('accepts an export to a webhook in each format and an e-mail', () => {
    expect(
      validateOutputs([
        { type: 'export', format: 'ndjson', to: 'webhook', url: 'https://hooks.example.com/x?y=1' },
        { type: 'export', format: 'csv', to: 'webhook', url: 'http://10.0.0.1:8080/in' },
        { type: 'export', format: 'json', to: 'webhook', url: 'http://localhost/in' },
        { type: 'email', to: ['ops@example.com', 'a.b+c@mail.example.org'], subject: 'Done' },
      ]),
    ).toEqual([]);
  });

  it('names the index and field of every problem', () => {
    expect(
      validateOutputs([
        { type: 'fax' },
        { type: 'export', format: 'xml', to: 's3', url: 'ftp://x', extra: 1 },
        { type: 'email', to: [] },
        { type: 'email', to: ['ok@example.com', 'not-an-address'], subject: 7 },
        'email',
      ]).map((problem) => problem.field),
    ).toEqual([
      'outputs[0].type',
      'outputs[1].extra',
      'outputs[1].format',
      'outputs[1].to',
      'outputs[1].url',
      'outputs[2].to',
      'outputs[3].to[1]',
      'outputs[3].subject',
      'outputs[4]',
    ]);
  });
});
