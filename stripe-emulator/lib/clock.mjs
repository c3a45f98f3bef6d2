// Unix time in seconds, as in every Stripe timestamp. The wall clock, unless a caller set the
// emulator's clock (POST /__emulator/clock, as Stripe's test clocks let a test move time): the
// seeded simulator keeps Stripe's time on its own simulated clock that way, so that Stripe's
// objects and events are dated when the ledger lives (docs/simulation.md).

/** @type {number | null} */
let setSeconds = null;

/** @returns {number} */
export function nowSeconds() {
  return setSeconds ?? Math.floor(Date.now() / 1000);
}

/**
 * Sets the emulator's clock to `ms` (it stays there until set again), or back to the wall clock (null).
 * @param {number | null} ms
 */
export function setClock(ms) {
  setSeconds = ms === null ? null : Math.floor(ms / 1000);
}
