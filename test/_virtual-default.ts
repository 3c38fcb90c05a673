// Preloaded (--import) by test/examples.test.ts: examples written with real
// sleeps run in virtual time, instantly and in a deterministic order.
import { VirtualClock, setDefaultClock } from 'corio/testing';

setDefaultClock(() => new VirtualClock());
