import assert from 'node:assert/strict';
import { apiRoutes, API_PREFIX } from '../../src/app';
import { buildServices } from '../../src/services';
import { api, residentWithActiveCard } from '../support/builders';
import { collectionSetup, generateBatch, importBatch, samplePeriod } from '../support/collection';
import { harness } from '../support/harness';

describe('GET /openapi.json and /docs', () => {
  it('when fetched, then every declared route is documented with its path parameters, body and access', async () => {
    const h = harness();
    const doc = await api().get('/openapi.json').expect(200);
    assert.equal(doc.body.openapi, '3.0.3');
    const routes = apiRoutes(buildServices(h.deps), h.deps);
    assert.ok(routes.length > 30);
    for (const def of routes) {
      const path = API_PREFIX + def.path.replace(/:(\w+)/g, '{$1}');
      const op = doc.body.paths[path]?.[def.method];
      assert.ok(op, `${def.method.toUpperCase()} ${path} is documented`);
      assert.ok(def.summary.length > 0, `${path} has a summary`);
      const pathParams = [...def.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      assert.ok(pathParams.length === 0 || def.params, `${path} declares a schema for its path parameters`);
      const documented = op.parameters
        .filter((p: { in: string }) => p.in === 'path')
        .map((p: { name: string }) => p.name);
      assert.deepEqual(documented.sort(), [...pathParams].sort(), `${path} documents its path parameters`);
      if (def.body)
        assert.ok(
          op.requestBody?.content['application/json'].schema.properties,
          `${path} documents its body`,
        );
      if (def.rawBody)
        assert.ok(
          op.requestBody?.content['multipart/form-data'].schema.properties,
          `${path} documents its form parts`,
        );
      assert.match(op.operationId, /^[A-Za-z]+$/, `${path} has an operationId without punctuation`);
    }
    const upload = doc.body.paths['/api/v1/collection-batches'].post;
    assert.deepEqual(upload.requestBody.content['multipart/form-data'].schema.required, [
      'file',
      'authorisationNo',
    ]);
    assert.deepEqual(Object.keys(upload.responses).sort(), ['200', '202', '4XX']);
    const letter =
      doc.body.paths['/api/v1/collection-teams/{id}/authorisations'].post.requestBody.content[
        'application/json'
      ].schema;
    assert.deepEqual(
      letter.properties.area.anyOf.map((s: { type: string }) => s.type),
      ['string', 'array'],
    );
    assert.deepEqual(letter.properties.area.anyOf[0].enum, ['ALL']);
    assert.equal(
      doc.body.paths['/api/v1/public/authorisations/{authorisationNo}'].get.operationId,
      'getPublicAuthorisationsAuthorisationNo',
    );
    const apply = doc.body.paths['/api/v1/applications'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(apply.required, ['residentId', 'cardType', 'centre']);
    assert.deepEqual(apply.properties.cardType.enum, ['B', 'C_NAMED']);
  });

  it('when /docs is opened, then the browsable page loads', async () => {
    const res = await api().get('/docs/').expect(200);
    assert.match(res.text, /swagger-ui/);
    const init = await api().get('/docs/swagger-initializer.js').expect(200);
    assert.match(init.text, /\/openapi\.json/);
    const metrics = await api().get('/metrics').expect(200);
    assert.match(
      metrics.text,
      /http_request_duration_seconds_count\{process="api",method="GET",route="\/docs",status="200"\}/,
    );
    assert.doesNotMatch(metrics.text, /route="\/docs\/docs"/);
  });
});

/** The value of one sample of the scrape, 0 when the series is not there yet. */
function sampleOf(text: string, metric: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const labelText = line.slice(metric.length + 1, line.lastIndexOf('}'));
    if (wanted.every((w) => labelText.split(',').includes(w))) return Number(line.split(' ').pop());
  }
  return 0;
}

describe('GET /metrics', () => {
  it('when scraped after traffic, then request durations by route template and status, queue depths and loss reports are there', async () => {
    await api('counterDL').get('/api/v1/cards/000000000').expect(404);
    const res = await api().get('/metrics').expect(200);
    assert.match(
      res.text,
      /http_request_duration_seconds_bucket\{[^}]*method="GET",route="\/api\/v1\/cards\/:cardNo",status="404"/,
    );
    assert.match(res.text, /queue_jobs\{[^}]*queue="production",state="waiting"/);
    assert.ok(res.headers['x-request-id']);
  });

  it('when a phone report is filed, a batch imported and a production run made, then each figure moves by exactly that much', async () => {
    const before = (await api().get('/metrics').expect(200)).text;
    const { resident, cardNo } = await residentWithActiveCard();
    await api('callCenter')
      .post(`/api/v1/cards/${cardNo}/loss-reports`, {
        kind: 'temporary',
        verification: { name: resident.name, idNumber: resident.idNumber },
      })
      .expect(201);
    const { token, authorisationNo } = await collectionSetup({ area: 'ALL', ...samplePeriod() });
    // a seed of its own: the generated people are new to the suite's database
    const { content, expect } = await generateBatch(40, 7101);
    const batch = await importBatch(token, authorisationNo, content, 'metrics.csv');
    assert.equal(batch.accepted, expect.accepted);
    const after = (await api().get('/metrics').expect(200)).text;

    const moved = (metric: string, labels: Record<string, string>) =>
      sampleOf(after, metric, labels) - sampleOf(before, metric, labels);
    assert.equal(moved('loss_reports_total', { channel: 'call_centre', kind: 'temporary' }), 1);
    assert.equal(moved('collection_rows_total', { outcome: 'imported' }), expect.accepted);
    assert.equal(moved('collection_rows_total', { outcome: 'rejected' }), expect.rejected);
    const production = { queue: 'production', job: 'produce-cards', outcome: 'completed' };
    assert.equal(moved('job_duration_seconds_count', production), 1);
    assert.equal(moved('job_duration_seconds_bucket', { ...production, le: '+Inf' }), 1);
    const imports = { queue: 'collection', job: 'import-batch', outcome: 'completed' };
    assert.equal(moved('job_duration_seconds_count', imports), 1);
    assert.ok(moved('job_duration_seconds_sum', imports) > 0);
  });
});

describe('request logs', () => {
  it('when a counter makes a request, then its log line carries the request id, operator id and role', async () => {
    const h = harness();
    await api('counterDL').get('/api/v1/functions').set('X-Request-Id', 'log-check-1').expect(200);
    const fs = await import('node:fs');
    const lines = fs
      .readFileSync(h.config.logFile!, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"log-check-1"'));
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!);
    assert.equal(line.reqId, 'log-check-1');
    assert.equal(line.role, 'counter');
    assert.match(line.operatorId, /^[0-9a-f-]{36}$/);
    assert.equal(line.req.path, '/api/v1/functions');
  });

  it('when a counter’s body cannot be parsed, then the 400 line still names the operator and role', async () => {
    const h = harness();
    await api('counterDL')
      .post('/api/v1/residents')
      .set('X-Request-Id', 'log-check-2')
      .set('Content-Type', 'application/json')
      .send('{')
      .expect(400);
    const fs = await import('node:fs');
    const line = JSON.parse(
      fs
        .readFileSync(h.config.logFile!, 'utf8')
        .split('\n')
        .find((l) => l.includes('"log-check-2"'))!,
    );
    assert.equal(line.role, 'counter');
    assert.equal(line.res.statusCode, 400);
  });
});
