import type { FastifyInstance } from 'fastify';
import { EXAMPLE_TASK, TaskStatus } from '@app/contracts';
import { WEB_PAGE_SCRIPT } from './web-page.script';

const STYLE = `
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 18px; margin: 0; flex: 1; } header a { color: #9cc4ff; }
  main { padding: 16px 20px; display: grid; gap: 20px; grid-template-columns: minmax(380px, 1fr) minmax(380px, 1fr); }
  section.card { background: #fff; border-radius: 6px; padding: 14px 16px; box-shadow: 0 1px 2px #0002; }
  #task-page { grid-column: 1 / -1; } .home { display: contents; } [hidden] { display: none !important; }
  textarea { width: 100%; min-height: 330px; font: 12px/1.4 ui-monospace, monospace; box-sizing: border-box; }
  textarea.invalid { border: 2px solid #c62828; }
  .editor { display: grid; grid-template-columns: 1fr 220px; gap: 10px; }
  #submit-errors { color: #c62828; margin: 0; padding-left: 16px; font-size: 12px; }
  #submit-errors code { background: #fdecea; padding: 0 3px; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eee; }
  .bar { position: relative; background: #e6e8ee; border-radius: 4px; height: 18px; min-width: 140px; overflow: hidden; }
  .bar .fill { height: 100%; background: #3d7be0; transition: width .3s; }
  .bar .fill.completed { background: #2e9d58; } .bar .fill.completed_with_errors { background: #d9a227; }
  .bar .fill.failed, .bar .fill.cancelled { background: #a33; }
  .bar span { position: absolute; inset: 0; text-align: center; font-size: 12px; line-height: 18px; }
  .actions { margin: 10px 0; display: flex; gap: 8px; align-items: center; }
  .note { color: #667; font-size: 12px; } .error { color: #c62828; }
  .dimensions { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 14px; }
  .dimension { border: 1px solid #e3e5ea; border-radius: 6px; padding: 10px; }
  svg.histogram { width: 100%; max-width: 360px; } svg.histogram rect.pass { fill: #2e9d58; } svg.histogram rect.fail { fill: #bbb; }
  svg.histogram text { font-size: 6px; fill: #667; }
`;

/** The web page at `/`: submit, the task list with live progress, a task's page. One document, no assets. */
export function webPage(): string {
  const example = escapeHtml(JSON.stringify(EXAMPLE_TASK, null, 2));
  const statuses = Object.values(TaskStatus)
    .map((status) => `<option value="${status}">${status}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dataproc</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1><a href="#/">dataproc</a> — data-processing tasks</h1>
  <label>API key <input id="api-key" type="password" placeholder="when the API has keys" autocomplete="off"></label>
  <a href="/docs">API docs</a>
</header>
<main>
  <div id="home" class="home">
    <section class="card">
      <h2>Submit a task</h2>
      <form id="submit-form">
        <div class="editor">
          <textarea id="task-json" spellcheck="false" aria-label="Task JSON">${example}</textarea>
          <div><strong>Problems</strong><ul id="submit-errors" aria-live="polite"></ul>
            <p class="note">Each problem names its field, e.g. <code>dimensions[0].threshold</code>, with its line.</p></div>
        </div>
        <p><button id="submit" type="submit">Submit</button></p>
      </form>
    </section>
    <section class="card">
      <h2>Tasks</h2>
      <label>Status <select id="status-filter"><option value="">all</option>${statuses}</select></label>
      <table><thead><tr><th>task</th><th>status</th><th>progress</th><th>created</th></tr></thead><tbody id="task-rows"></tbody></table>
      <p id="empty" class="note" hidden>No tasks yet.</p>
      <p><button id="more" type="button" hidden>More</button></p>
    </section>
  </div>
  <section id="task-page" class="card" hidden><p><a href="#/">← all tasks</a></p><div id="task-view"></div></section>
</main>
<script>${WEB_PAGE_SCRIPT}</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Serves the page at `/` (outside the API prefix; the page calls the API with the key the user gives). */
export function serveWebPage(fastify: FastifyInstance): void {
  const page = webPage();
  fastify.get('/', (_request, reply) => {
    void reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(page);
  });
}
