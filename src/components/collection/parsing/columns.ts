/**
 * The columns of a collection batch file, by the Chinese header a collector's spreadsheet carries.
 */
export const COLUMNS = {
  采集编号: 'recordNo',
  采集日期: 'collectedOn',
  姓名: 'name',
  性别: 'gender',
  民族: 'ethnicity',
  公民身份号码: 'idNumber',
  出生日期: 'birthDate',
  联系电话: 'phone',
  镇街: 'town',
  村居: 'community',
  现住址: 'address',
  申领卡类型: 'cardType',
  合作银行: 'bank',
  监护人姓名: 'guardianName',
  监护人身份号码: 'guardianIdNumber',
  照片编号: 'photoNo',
} as const;

export type ColumnHeader = keyof typeof COLUMNS;
export type ColumnKey = (typeof COLUMNS)[ColumnHeader];

/** A file lacking any of these is refused whole; the other columns may be left out. */
export const REQUIRED_COLUMNS: readonly ColumnHeader[] = [
  '采集编号',
  '采集日期',
  '姓名',
  '公民身份号码',
  '联系电话',
  '镇街',
  '申领卡类型',
];

/**
 * One data row as it stands in the file. Values are not trimmed or normalised, so that validation sees
 * what the collector typed. A cell is a number only when it is a numeric XLSX cell: an identity number
 * stored that way has already lost digits, and validation must be able to tell.
 */
export interface RawRow {
  /** 1-based among the non-blank data rows; the header row is not counted. */
  row: number;
  /** Every column the header has is present ('' when the cell is empty); a column the file lacks is absent. */
  cells: Partial<Record<ColumnKey, string | number>>;
}

export function isColumnHeader(name: string): name is ColumnHeader {
  return Object.prototype.hasOwnProperty.call(COLUMNS, name);
}
