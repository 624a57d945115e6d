/**
 * The host's own keyboard, for tests on Xvfb: key presses that come from a slave device other than XTEST's.
 *
 * xdotool (and nut-js, and the agent) inject through XTEST's core form, which posts every event on the client's
 * "… XTEST keyboard" slave: they cannot play the person at the machine. XTEST has a second form, for XInput 1
 * devices: FakeInput with an XI1 event type (DeviceKeyPress) and a device id, which the server posts on THAT device,
 * as its driver would post a real key. Xvfb has such a device, "Xvfb keyboard" (and "Xvfb mouse"), which nothing
 * else drives; an XI2 client then sees `sourceid` = that device, exactly as for a USB keyboard on a real server.
 */

interface XClient {
  seq_num: number;
  readonly pack_stream: { put(b: Buffer): void; submit(expectsReply?: boolean): void };
  require(name: 'xtest', cb: (err: Error | null, ext: { readonly majorOpcode: number }) => void): void;
  QueryExtension(name: string, cb: (err: Error | null, ext: { present: boolean; firstEvent: number }) => void): void;
  GetInputFocus(cb: (err: Error | null) => void): void;
  require(name: 'xinput', cb: (err: Error | null, ext: { XIQueryDevice(id: number, cb: (err: Error | null, devices: { deviceId: number; name: string }[]) => void): void }) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  terminate?(): void;
  close?(): void;
}

/** XI1 event offsets from the extension's first event (XI.h). */
const DEVICE_KEY_PRESS = 1;
const DEVICE_KEY_RELEASE = 2;

export class DeviceKeyboard {
  private constructor(
    private readonly client: XClient,
    private readonly xtestOpcode: number,
    private readonly xiFirstEvent: number,
    /** The device's id, as raw events name it in `sourceid`. */
    readonly deviceId: number,
  ) {}

  /** Connects to `display` and finds the slave keyboard called `name`. */
  static open(display: string, name = 'Xvfb keyboard'): Promise<DeviceKeyboard> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the agent's own X package
    const x11 = require('x11') as { createClient(o: { display: string }, cb: (err: Error | null, d: { client: XClient }) => void): XClient };
    return new Promise((resolve, reject) => {
      const client = x11.createClient({ display }, (err, d) => {
        if (err) return reject(err);
        const x = d.client;
        x.require('xtest', (e1, xtest) => {
          if (e1) return reject(e1);
          x.QueryExtension('XInputExtension', (e2, xi1) => {
            if (e2 || !xi1.present) return reject(e2 ?? new Error('no XInputExtension'));
            x.require('xinput', (e3, xi) => {
              if (e3) return reject(e3);
              xi.XIQueryDevice(0, (e4, devices) => {
                if (e4) return reject(e4);
                const device = devices.find((dev) => dev.name === name);
                if (!device) return reject(new Error(`no device ${name}: ${devices.map((dev) => dev.name).join(', ')}`));
                resolve(new DeviceKeyboard(x, xtest.majorOpcode, xi1.firstEvent, device.deviceId));
              });
            });
          });
        });
      });
      client.on('error', reject);
    });
  }

  /** Presses and releases `keycode` on the device; resolves once the server has both. */
  async tap(keycode: number): Promise<void> {
    this.fake(DEVICE_KEY_PRESS, keycode);
    this.fake(DEVICE_KEY_RELEASE, keycode);
    await new Promise<void>((resolve, reject) => this.client.GetInputFocus((err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    (this.client.terminate ?? this.client.close)?.call(this.client);
  }

  /** XTEST FakeInput (36 bytes): the event type at 4, the keycode at 5, the device id in the last byte. */
  private fake(offset: number, keycode: number): void {
    const b = Buffer.alloc(36);
    b.writeUInt8(this.xtestOpcode, 0);
    b.writeUInt8(2, 1); // X_XTestFakeInput
    b.writeUInt16LE(9, 2);
    b.writeUInt8(this.xiFirstEvent + offset, 4);
    b.writeUInt8(keycode, 5);
    b.writeUInt8(this.deviceId, 35);
    this.client.seq_num++;
    this.client.pack_stream.put(b);
    this.client.pack_stream.submit();
  }
}
