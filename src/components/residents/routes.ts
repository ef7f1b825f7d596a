import { operators, route } from '../../platform/routes';
import type { RegisterResidentInput, ResidentsService } from './service';
import { lookupResidentBody, registerResidentBody, residentParams } from './schemas';

export function residentRoutes(residents: ResidentsService) {
  return [
    route<RegisterResidentInput>({
      method: 'post',
      path: '/residents',
      summary: '登记居民（已登记则更新联系信息）',
      tag: 'residents',
      access: operators('counter'),
      body: registerResidentBody,
      success: 201,
      async handle({ body, ctx }, res) {
        const { created, resident } = await residents.register(body, ctx);
        res.status(created ? 201 : 200).json(resident);
      },
    }),
    route<{ idNumber: string }>({
      method: 'post',
      path: '/residents/lookup',
      summary: '按公民身份号码查找居民',
      tag: 'residents',
      access: operators('counter', 'call_center'),
      body: lookupResidentBody,
      success: 200,
      async handle({ body, ctx }, res) {
        res.json(await residents.lookup(body.idNumber, ctx));
      },
    }),
    route<unknown, unknown, { id: string }>({
      method: 'get',
      path: '/residents/:id',
      summary: '查看居民',
      tag: 'residents',
      access: operators('counter', 'call_center'),
      params: residentParams,
      success: 200,
      async handle({ params, ctx }, res) {
        res.json(await residents.get(params.id, ctx));
      },
    }),
  ];
}
