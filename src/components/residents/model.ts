import { randomUUID } from 'node:crypto';
import { maskIdNumber, maskName, maskPhone } from '../../platform/masking';
import type { PiiVault } from '../../platform/pii';
import type { Gender } from './personal-data';
import type { ResidentRecord, ResidentWrite } from './repository';

/** A resident's data in clear, already normalised and checked. */
export interface ResidentData {
  idNumber: string;
  name: string;
  gender: Gender;
  birthDate: string;
  ethnicity: string | null;
  phone: string | null;
  address: string | null;
  town: string | null;
  community: string | null;
  guardian: { name: string; idNumber: string; relation: string | null } | null;
}

export function sealResident(
  data: ResidentData,
  vault: PiiVault,
  publicId: string = randomUUID(),
): ResidentWrite {
  return {
    id: publicId,
    idNumberHash: vault.lookupHash(data.idNumber),
    idNumberSealed: vault.seal(data.idNumber),
    idNumberMasked: maskIdNumber(data.idNumber),
    name: data.name,
    gender: data.gender,
    birthDate: data.birthDate,
    ethnicity: data.ethnicity,
    phoneSealed: data.phone ? vault.seal(data.phone) : null,
    phoneMasked: data.phone ? maskPhone(data.phone) : null,
    address: data.address,
    town: data.town,
    community: data.community,
    guardianName: data.guardian?.name ?? null,
    guardianIdHash: data.guardian ? vault.lookupHash(data.guardian.idNumber) : null,
    guardianIdSealed: data.guardian ? vault.seal(data.guardian.idNumber) : null,
    guardianIdMasked: data.guardian ? maskIdNumber(data.guardian.idNumber) : null,
    guardianRelation: data.guardian?.relation ?? null,
  };
}

export function openResident(r: ResidentRecord, vault: PiiVault): ResidentData {
  return {
    idNumber: vault.open(r.idNumberSealed),
    name: r.name,
    gender: r.gender,
    birthDate: r.birthDate,
    ethnicity: r.ethnicity,
    phone: r.phoneSealed ? vault.open(r.phoneSealed) : null,
    address: r.address,
    town: r.town,
    community: r.community,
    guardian:
      r.guardianName && r.guardianIdSealed
        ? { name: r.guardianName, idNumber: vault.open(r.guardianIdSealed), relation: r.guardianRelation }
        : null,
  };
}

/** What audit events keep of a resident: nothing that identifies the person in clear. */
export function residentAuditView(r: ResidentWrite | ResidentRecord): Record<string, unknown> {
  return {
    id: r.id,
    idNumber: r.idNumberMasked,
    name: maskName(r.name),
    gender: r.gender,
    // the masked identity number hides the birth date; the year is enough to follow an age rule
    birthYear: r.birthDate.slice(0, 4),
    phone: r.phoneMasked,
    town: r.town,
    community: r.community,
    ethnicity: r.ethnicity,
    hasAddress: r.address !== null,
    guardian: r.guardianName
      ? { name: maskName(r.guardianName), idNumber: r.guardianIdMasked, relation: r.guardianRelation }
      : null,
  };
}
