import type { Response } from 'express';
import { operators, PUBLIC, route } from '../../platform/routes';
import type { AuthorisationsService, LetterInput } from './authorisations';
import type { BatchesService } from './batches';
import { reasonText } from './reasons';
import type { BatchStatus, RejectionRecord } from './repository';
import {
  batchParams,
  letterBody,
  letterParams,
  listBatchesQuery,
  pageQuery,
  publicCheckQuery,
  teamBody,
  teamParams,
} from './schemas';

interface Paging {
  cursor?: string;
  limit: number;
}

export function collectionRoutes(services: {
  authorisations: AuthorisationsService;
  batches: BatchesService;
}) {
  const { authorisations, batches } = services;
  return [
    route<{ name: string; town: string }>({
      method: 'post',
      path: '/collection-teams',
      summary: '建立采集队伍',
      tag: 'collection',
      access: operators('admin'),
      body: teamBody,
      success: 201,
      async handle({ body, ctx }, res) {
        res.status(201).json(await authorisations.createTeam(body, ctx));
      },
    }),
    route<LetterInput, unknown, { id: string }>({
      method: 'post',
      path: '/collection-teams/:id/authorisations',
      summary: '签发采集授权书（验证码只显示这一次）',
      tag: 'collection',
      access: operators('admin'),
      params: teamParams,
      body: letterBody,
      success: 201,
      async handle({ params, body, ctx }, res) {
        res.status(201).json(await authorisations.issue(params.id, body, ctx));
      },
    }),
    route<unknown, unknown, { authorisationNo: string }>({
      method: 'post',
      path: '/authorisations/:authorisationNo/revoke',
      summary: '撤销采集授权书',
      tag: 'collection',
      access: operators('admin'),
      params: letterParams,
      optionalBody: true,
      success: 200,
      async handle({ params, ctx }, res) {
        res.json(await authorisations.revoke(params.authorisationNo, ctx));
      },
    }),
    route<unknown, { code: string }, { authorisationNo: string }>({
      method: 'get',
      path: '/public/authorisations/:authorisationNo',
      summary: '公众核验采集授权书（无需登录，按来源地址限流）',
      tag: 'collection',
      access: PUBLIC,
      params: letterParams,
      query: publicCheckQuery,
      success: 200,
      async handle({ params, query, req }, res) {
        const view = await authorisations.publicCheck(
          params.authorisationNo,
          query.code,
          req.ip ?? 'unknown',
        );
        res.setHeader('Cache-Control', 'no-store');
        res.json(view);
      },
    }),
    route({
      method: 'post',
      path: '/collection-batches',
      summary: '上传采集批次（multipart：file、authorisationNo），由队列任务导入',
      tag: 'collection',
      access: operators('collector'),
      rawBody: true,
      form: {
        required: ['file', 'authorisationNo'],
        properties: {
          file: { type: 'string', format: 'binary', description: 'CSV（UTF-8或GB18030）或XLSX，不超过50MB' },
          authorisationNo: { type: 'string', description: '本队伍在有效期内的授权书编号' },
        },
      },
      success: 202,
      // 200: the same file under the same letter is the batch that already exists
      alsoSuccess: [200],
      async handle({ req, ctx }, res) {
        const outcome = await batches.upload(req, ctx);
        res.status(outcome.created ? 202 : 200).json(outcome.batch);
      },
    }),
    route<unknown, Paging & { status?: BatchStatus }>({
      method: 'get',
      path: '/collection-batches',
      summary: '采集批次列表（采集员只看本队伍）',
      tag: 'collection',
      access: operators('collector', 'admin'),
      query: listBatchesQuery,
      success: 200,
      async handle({ query, ctx }, res) {
        res.json(await batches.list(query, ctx));
      },
    }),
    route<unknown, unknown, { batchId: string }>({
      method: 'get',
      path: '/collection-batches/:batchId',
      summary: '采集批次的进度与导入报告',
      tag: 'collection',
      access: operators('collector', 'admin'),
      params: batchParams,
      success: 200,
      async handle({ params, ctx }, res) {
        res.json(await batches.get(params.batchId, ctx));
      },
    }),
    route<unknown, Paging, { batchId: string }>({
      method: 'get',
      path: '/collection-batches/:batchId/rejections',
      summary: '采集批次被拒绝的行（Accept: text/csv 下载Excel可打开的CSV）',
      tag: 'collection',
      access: operators('collector', 'admin'),
      params: batchParams,
      query: pageQuery,
      success: 200,
      async handle({ params, query, ctx, req }, res) {
        if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
          await sendRejectionsCsv(res, params.batchId, batches.allRejections(params.batchId, ctx));
          return;
        }
        res.json(await batches.rejections(params.batchId, query, ctx));
      },
    }),
  ];
}

const CSV_HEADER = ['行号', '采集编号', '原因代码', '原因说明'];

function csvField(value: string): string {
  // a cell starting like a formula would run as one in Excel
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvLine(fields: string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** UTF-8 with a BOM and CRLF lines, which is what makes Excel open Chinese text correctly. */
async function sendRejectionsCsv(
  res: Response,
  batchId: string,
  rows: AsyncGenerator<RejectionRecord>,
): Promise<void> {
  // the first page is read before any header is sent, so an unknown batch is still a clean 404
  const first = await rows.next();
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="rejections-${batchId}.csv"`);
  res.write(`\ufeff${csvLine(CSV_HEADER)}`);
  const line = (r: RejectionRecord) =>
    csvLine([String(r.row), r.recordNo, r.reasons.join(';'), r.reasons.map(reasonText).join('；')]);
  if (!first.done) res.write(line(first.value));
  for await (const r of rows) res.write(line(r));
  res.end();
}
