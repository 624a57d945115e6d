/**
 * One request of the `x11` package as a promise (the agent's own X connections: monitors.ts, laser.ts). The callback
 * returns true: the error is handled here, and x11 must not also emit it on the client.
 */
export function ask<T>(send: (cb: (err: Error | null, result: T) => unknown) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    send((err, result) => {
      if (err) reject(err);
      else resolve(result);
      return true;
    });
  });
}
