// Device and network context, sent with every beacon: nothing that identifies a person.
import { W, N } from './util.js';

export const context = () => {
  const c = N.connection || {};
  return {
    et: c.effectiveType,
    rtt: c.rtt,
    dl: c.downlink,
    sd: c.saveData,
    mem: N.deviceMemory,
    cpu: N.hardwareConcurrency,
    vw: W.innerWidth,
    vh: W.innerHeight,
  };
};
