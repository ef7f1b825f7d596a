import { startHarness, stopHarness, harness } from '../support/harness';
import { removeScratchDirs } from '../support/temp';

// Root hooks: one real system for the whole suite, and every connection closed at the end so mocha
// exits by itself.
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60000);
    await startHarness();
  },
  afterEach() {
    harness().clock.reset();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30000);
    await stopHarness();
    removeScratchDirs();
  },
};
