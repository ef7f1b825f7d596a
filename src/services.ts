import type { AppDeps } from './deps';
import { ApplicationsService, PickupService, ReplacementsService } from './components/applications';
import { FunctionsService } from './components/functions';
import { LossReportsService } from './components/loss-reports';
import { PartnersService } from './components/partners';
import { CardsService, cardsRepository } from './components/cards';
import { collectionServices } from './components/collection';
import { FeeScheduleService } from './components/fees';
import { ProductionService } from './components/production';
import { referenceRepository } from './components/reference';
import { ResidentsService } from './components/residents';
import { applicationsRepository } from './components/applications';

/** Wires the components' services together. */
export function buildServices(deps: AppDeps) {
  const { db, vault, clock, queues } = deps;
  const residents = new ResidentsService(db, vault, clock, {
    cardsOf: async (conn, residentDbId) =>
      (await cardsRepository.cardsOfResident(conn, residentDbId)).map((c) => ({
        cardNo: c.cardNo,
        type: c.type,
        status: c.status,
      })),
    applicationsOf: async (conn, residentDbId) =>
      (await applicationsRepository.applicationsOfResident(conn, residentDbId)).map((a) => ({
        applicationNo: a.applicationNo,
        cardType: a.cardType,
        status: a.status,
      })),
    isTown: (conn, town) => referenceRepository.isTown(conn, town),
  });
  return {
    residents,
    applications: new ApplicationsService(db, clock),
    pickups: new PickupService(db, vault, clock),
    cards: new CardsService(db, vault, clock),
    fees: new FeeScheduleService(db, clock),
    production: new ProductionService(db, queues, clock),
    replacements: new ReplacementsService(db, clock),
    lossReports: new LossReportsService(db, vault, clock, queues, deps.config, deps.logger),
    functions: new FunctionsService(db, vault, clock),
    partners: new PartnersService(db, clock),
    collection: collectionServices(deps),
  };
}

export type Services = ReturnType<typeof buildServices>;
