/** Masks of personal data for responses, audit records and logs (api.md, "Personal data in responses"). */

export function maskIdNumber(idNumber: string): string {
  if (idNumber.length !== 18) return '*'.repeat(idNumber.length);
  return `${idNumber.slice(0, 6)}********${idNumber.slice(14)}`;
}

export function maskPhone(phone: string): string {
  const landline = /^(0\d{2,3})-(\d+)$/.exec(phone);
  if (landline) return `${landline[1]}-****${landline[2]!.slice(-4)}`;
  if (phone.length === 11) return `${phone.slice(0, 3)}****${phone.slice(7)}`;
  return '*'.repeat(phone.length);
}

/** Keeps the first and last character (code points, so 𠮷 counts as one) and stars the rest. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*'.repeat(chars.length);
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}
