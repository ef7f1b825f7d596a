import assert from 'node:assert/strict';
import { sealUncollected } from '../../../src/components/applications';
import { addDays } from '../../../src/platform/dates';
import { api, applyFor, auditEvents, produce, registerResident } from '../../support/builders';
import { hotlistOf } from '../../support/cards';
import { TestClock } from '../../support/clock';
import { harness } from '../../support/harness';

const noProgress = { updateProgress: () => Promise.resolve(), attemptsMade: 0 };

/** The job's dependencies with a clock of its own pinned to a Shunde local time. */
function depsAt(localDateTime: string) {
  const clock = new TestClock();
  clock.pinLocal(localDateTime);
  return { ...harness().deps, clock };
}

/**
 * A card produced and left at the centre. It is applied for years back, so that a run of the job on
 * the day after its deadline reaches no application another test made.
 */
async function uncollectedCard() {
  harness().clock.pinLocal('2023-03-06T10:00');
  const resident = await registerResident({ age: 40 });
  const application = await applyFor(resident);
  await produce();
  const ready = await api('counterDL').get(`/api/v1/applications/${application.applicationNo}`).expect(200);
  assert.equal(ready.body.status, 'ready');
  harness().clock.reset();
  return {
    resident,
    applicationNo: application.applicationNo as string,
    receiptNo: application.receipt.receiptNo as string,
    deadline: application.receipt.deadline as string,
    cardNo: ready.body.cardNo as string,
  };
}

describe('seal-uncollected-cards job', () => {
  it('when a produced card is left past its receipt’s deadline, then it and its application are sealed once, with no hotlist entry', async () => {
    const { resident, applicationNo, receiptNo, deadline, cardNo } = await uncollectedCard();
    const late = depsAt(`${addDays(deadline, 1)}T00:30`);

    const first = (await sealUncollected.handle({}, late, noProgress)) as { sealed: number };
    assert.ok(first.sealed >= 1, `sealed ${first.sealed}`);
    const second = await sealUncollected.handle({}, late, noProgress);
    assert.deepEqual(second, { sealed: 0 });

    const card = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'sealed');
    const application = await api('counterDL').get(`/api/v1/applications/${applicationNo}`).expect(200);
    assert.equal(application.body.status, 'sealed');
    assert.equal(application.body.cardNo, cardNo);

    const applicationEvents = await auditEvents('application', applicationNo);
    assert.deepEqual(
      applicationEvents.map((e) => e.action),
      ['application.submitted', 'application.ready', 'application.sealed'],
    );
    const sealedEvent = applicationEvents[2]!;
    assert.deepEqual(sealedEvent.before, { status: 'ready' });
    assert.deepEqual(sealedEvent.after, { status: 'sealed' });
    assert.equal(sealedEvent.channel, 'system');
    assert.deepEqual(
      (await auditEvents('card', cardNo)).map((e) => e.action),
      ['card.produced', 'card.sealed'],
    );
    assert.deepEqual(await hotlistOf(cardNo), []);

    const pickup = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: resident.idNumber })
      .expect(409);
    assert.equal(pickup.body.code, 'INVALID_STATE');
  });

  it('when the deadline day itself has come, then the card is still waiting to be collected', async () => {
    const { resident, applicationNo, receiptNo, deadline, cardNo } = await uncollectedCard();
    await sealUncollected.handle({}, depsAt(`${deadline}T23:59`), noProgress);

    const application = await api('counterDL').get(`/api/v1/applications/${applicationNo}`).expect(200);
    assert.equal(application.body.status, 'ready');
    const card = await api('counterDL').get(`/api/v1/cards/${cardNo}`).expect(200);
    assert.equal(card.body.status, 'produced');
    harness().clock.pinLocal(`${deadline}T16:00`);
    const pickup = await api('counterDL')
      .post('/api/v1/pickups', { receiptNo, idNumber: resident.idNumber })
      .expect(200);
    assert.equal(pickup.body.card.status, 'active');
  });
});
