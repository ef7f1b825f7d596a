import { defineErrors } from '../../platform/errors';

export const CollectionErrors = defineErrors({
  TEAM_NOT_FOUND: { kind: 'not_found', title: '未找到该采集队伍' },
  AUTHORISATION_NOT_FOUND: { kind: 'not_found', title: '未找到该授权书，请核对授权书编号和验证码' },
  AUTHORISATION_INVALID: { kind: 'forbidden', title: '授权书无效：不属于本队伍、已撤销或不在有效期内' },
  BATCH_NOT_FOUND: { kind: 'not_found', title: '未找到该采集批次' },
  FILE_UNREADABLE: { kind: 'invalid', title: '无法读取上传的文件，请上传CSV或XLSX格式的采集表' },
  HEADER_MISSING: { kind: 'invalid', title: '采集表缺少必需的列' },
  MALFORMED_UPLOAD: { kind: 'bad_request', title: '上传内容不是有效的multipart/form-data' },
});
