/**
 * Shim of `k6/websockets` (WebSocket only), on the `ws` package, following k6's
 * internal/js/modules/k6/websockets: constructor `(url, protocols, params)` with params
 * `headers`, `tags`, `compression` (any other key throws, as in k6); `onopen`, `onmessage`,
 * `onerror`, `onclose`, `onping`, `onpong` and `addEventListener`; `send`, `close`, `ping`,
 * `readyState` and its constants. Events carry `type`, `target` and `timestamp` (ms; for a
 * message, when the frame was read), a message `data` (text) and `origin`, an error `error`, a
 * close `code` and `reason`. As in k6: messages that arrive after `close()` are dropped; a close
 * with a code other than 1000/1001, or a failed handshake, calls the error listeners first; a
 * failed handshake's close event has no `code`; an open socket holds the VU's event loop until
 * its close event has run.
 *
 * The `protocols` argument is what k6 releases differ on. By default (`wsProtocolsArgument:
 * 'ignore'`) this shim drops it, like a k6 whose k6/websockets documents it as not implemented;
 * `'apply'` sends it, like a k6 that implements it, refusing it together with a
 * Sec-WebSocket-Protocol header as gorilla/websocket does. `wsSubprotocolHeader: 'drop'` also
 * leaves that header out (a negative control: what a script relying on `protocols` gets on an
 * ignoring k6). Go sends header values as given and accepts whatever subprotocol the server
 * picks; `ws` writes Sec-WebSocket-Protocol itself from its `protocols` list and checks the
 * server's pick, so the header's value is handed to `ws` as that list: the same bytes on the wire.
 */
import { setImmediate as nativeSetImmediate } from 'node:timers';
import WebSocketClient from 'ws';
import {
  addSample,
  failIteration,
  holdLoop,
  releaseLoop,
  requireStage,
  runCallback,
  socketLog,
  VU_STAGES,
  vu,
} from '../vu-runtime.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const EVENT_TYPES = ['open', 'message', 'error', 'close', 'ping', 'pong'];
const USER_AGENT = 'k6-shim (ChitLaq test runner; not k6)';
/** Headers gorilla/websocket sets itself and refuses from the caller. */
const RESERVED_HEADERS = ['Upgrade', 'Connection', 'Sec-Websocket-Key', 'Sec-Websocket-Version', 'Sec-Websocket-Extensions'];
const SUBPROTOCOL_HEADER = 'Sec-Websocket-Protocol';
/** gorilla/websocket's texts for the standard close codes, in its error messages. */
const CLOSE_TEXT = {
  1000: 'normal',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status',
  1006: 'abnormal closure',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension missing',
  1011: 'internal server error',
  1012: 'service restart',
  1013: 'try again later',
  1015: 'TLS handshake error',
};

/** Go's http.CanonicalHeaderKey: `sec-websocket-protocol` → `Sec-Websocket-Protocol`. */
function canonicalHeaderKey(/** @type {string} */ name) {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash, letter) => dash + letter.toUpperCase());
}

/** @param {unknown} protocols the constructor's second argument */
function protocolList(protocols) {
  if (protocols === undefined || protocols === null) return [];
  if (Array.isArray(protocols)) return protocols.map(String);
  return [String(protocols)];
}

function now() {
  return performance.timeOrigin + performance.now();
}

export class WebSocket {
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSING = CLOSING;
  static CLOSED = CLOSED;
  CONNECTING = CONNECTING;
  OPEN = OPEN;
  CLOSING = CLOSING;
  CLOSED = CLOSED;

  /** @type {WebSocketClient | null} */
  #socket = null;
  #readyState = CONNECTING;
  #binaryType = 'blob';
  #opened = false;
  #cancelled = false;
  /** @type {string | null} */
  #lastError = null;
  #started = now();
  #tags;
  #token;
  #log;
  /** @type {Record<string, { on: Function | null, list: Function[] }>} */
  #listeners = Object.fromEntries(EVENT_TYPES.map((type) => [type, { on: null, list: [] }]));

  static {
    // onopen, onmessage, onerror, onclose, onping, onpong: one handler each; null removes it.
    for (const type of EVENT_TYPES) {
      Object.defineProperty(WebSocket.prototype, `on${type}`, {
        get() {
          return this.#listeners[type].on;
        },
        set(handler) {
          if (handler !== null && handler !== undefined && typeof handler !== 'function') {
            throw new Error(`a value for 'on${type}' should be callable`);
          }
          this.#listeners[type].on = handler ?? null;
        },
      });
    }
  }

  /**
   * @param {unknown} url
   * @param {unknown} [protocols]
   * @param {Record<string, any>} [params]
   */
  constructor(url, protocols, params) {
    requireStage(VU_STAGES, 'using websockets in the init context is not supported');
    if (url === undefined || url === null) throw new Error('WebSocket requires a url');
    const parsed = new URL(String(url));
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new Error(`WebSocket requires url with scheme ws or wss, but got "${parsed.protocol.slice(0, -1)}"`);
    }
    if (parsed.hash !== '') throw new Error(`WebSocket requires no url fragment, but got "${parsed.hash.slice(1)}"`);
    this.url = parsed.href;

    /** @type {Record<string, string>} */
    const headers = { 'User-Agent': USER_AGENT };
    /** @type {Record<string, unknown>} */
    let tags = {};
    let compression = false;
    for (const [key, value] of Object.entries(params ?? {})) {
      if (key === 'headers') {
        for (const [name, header] of Object.entries(value ?? {})) headers[canonicalHeaderKey(name)] = String(header);
      } else if (key === 'tags') {
        tags = { ...(value ?? {}) };
      } else if (key === 'compression') {
        if (String(value).trim() !== 'deflate')
          throw new Error(`unsupported compression algorithm '${value}', supported algorithm is 'deflate'`);
        compression = true;
      } else if (key === 'jar') {
        throw new Error('k6 shim: the WebSocket param "jar" is not implemented by this test runner');
      } else {
        throw new Error(`unknown WebSocket's option ${key}`);
      }
    }
    const name = tags.name === undefined ? this.url : String(tags.name);
    this.#tags = { ...tags, url: name, name };

    const argument = protocolList(protocols);
    const sentArgument = vu.shim.wsProtocolsArgument === 'apply' ? argument : [];
    if (vu.shim.wsSubprotocolHeader === 'drop') delete headers[SUBPROTOCOL_HEADER];
    const header = headers[SUBPROTOCOL_HEADER];
    delete headers[SUBPROTOCOL_HEADER];
    const headerList = header === undefined ? [] : header.split(',').map((part) => part.trim());

    this.#log = {
      vu: vu.id,
      url: this.url,
      protocolsArgument: protocols === undefined ? null : protocols,
      protocolsArgumentSent: sentArgument.length > 0,
      subprotocolHeader: header ?? null,
      protocol: '',
      opened: false,
      closeCode: /** @type {number | null} */ (null),
      error: /** @type {string | null} */ (null),
    };
    socketLog.push(this.#log);
    this.#token = holdLoop(() => this.#cancel());

    const refused =
      RESERVED_HEADERS.find((key) => key in headers) ??
      (sentArgument.length > 0 && header !== undefined ? SUBPROTOCOL_HEADER : undefined);
    if (refused !== undefined) {
      // gorilla's Dialer fails before dialling; k6 then calls the error and close listeners.
      nativeSetImmediate(() => this.#closed(false, 0, '', `websocket: duplicate header not allowed: ${refused}`));
      return;
    }

    addSample('ws_sessions', 1, this.#tags);
    const socket = new WebSocketClient(this.url, [...sentArgument, ...headerList], {
      headers,
      perMessageDeflate: compression,
      handshakeTimeout: 60_000,
    });
    this.#socket = socket;
    socket.on('open', () => this.#onOpen());
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary, now()));
    socket.on('ping', () => this.#dispatch('ping', {}));
    socket.on('pong', () => this.#dispatch('pong', {}));
    socket.on('error', (error) => {
      this.#lastError = error.message;
    });
    socket.on('close', (code, reason) => this.#closed(this.#opened, code, reason.toString('utf8'), this.#lastError));
  }

  get readyState() {
    return this.#readyState;
  }

  get bufferedAmount() {
    return this.#socket?.bufferedAmount ?? 0;
  }

  get protocol() {
    return this.#socket?.protocol ?? '';
  }

  get extensions() {
    return this.#socket?.extensions ? [this.#socket.extensions] : [];
  }

  get binaryType() {
    return this.#binaryType;
  }

  set binaryType(value) {
    if (value !== 'blob' && value !== 'arraybuffer') {
      throw new Error(`unknown binaryType ${value}, the supported ones are "blob" and "arraybuffer"`);
    }
    this.#binaryType = value;
  }

  /** @param {string} type @param {Function} handler */
  addEventListener(type, handler) {
    if (typeof handler !== 'function') throw new Error(`handler for event type "${type}" isn't a callable function`);
    const listeners = this.#listeners[type];
    if (listeners === undefined) console.warn(`can't add event handler: unknown event type: ${type}`);
    else listeners.list.push(handler);
  }

  /** @param {unknown} data */
  send(data) {
    this.#assertOpen();
    const socket = /** @type {WebSocketClient} */ (this.#socket);
    if (typeof data === 'string') socket.send(data);
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) socket.send(data, { binary: true });
    else throw new Error(`unsupported send type ${typeof data}`);
    addSample('ws_msgs_sent', 1, this.#tags);
  }

  ping() {
    this.#assertOpen();
    this.#socket?.ping();
  }

  /** @param {number} [code] @param {string} [reason] */
  close(code, reason = '') {
    if (this.#readyState === CLOSED || this.#readyState === CLOSING) return;
    if (code !== undefined && code !== 0 && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new Error(
        `InvalidAccessError: Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${code} is neither`,
      );
    }
    if (Buffer.byteLength(String(reason)) > 123) {
      throw new Error(`SyntaxError: Failed to execute 'close' on 'WebSocket': The message must not be greater than 123 bytes`);
    }
    this.#readyState = CLOSING;
    this.#socket?.close(code === undefined || code === 0 ? 1000 : code, String(reason));
  }

  #assertOpen() {
    if (this.#readyState !== OPEN) throw new Error('InvalidStateError');
  }

  #onOpen() {
    if (this.#cancelled || this.#readyState !== CONNECTING) return;
    this.#opened = true;
    this.#log.opened = true;
    this.#log.protocol = this.#socket?.protocol ?? '';
    this.#readyState = OPEN;
    this.#dispatch('open', {});
  }

  /** @param {import('ws').RawData} data @param {boolean} isBinary @param {number} timestamp */
  #onMessage(data, isBinary, timestamp) {
    if (this.#cancelled || this.#readyState !== OPEN) return; // k6 drops what arrives after close()
    addSample('ws_msgs_received', 1, this.#tags);
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (!isBinary) {
      this.#dispatch('message', { data: bytes.toString('utf8'), origin: this.url }, timestamp);
    } else if (this.#binaryType === 'arraybuffer') {
      const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      this.#dispatch('message', { data: copy, origin: this.url }, timestamp);
    } else {
      failIteration(new Error('k6 shim: binary messages as Blob are not implemented by this test runner'));
    }
  }

  /**
   * The end of the connection, as k6's connectionClosedWithError: CLOSED first, then the error
   * listeners unless the close was a normal one, then the close listeners.
   * @param {boolean} opened whether the handshake had succeeded
   * @param {number} code the close code received (1005 none, 1006 no close frame)
   * @param {string} reason
   * @param {string | null} error why the handshake failed, when it did
   */
  #closed(opened, code, reason, error) {
    if (this.#cancelled || this.#readyState === CLOSED) return;
    this.#readyState = CLOSED;
    this.#log.closeCode = opened ? code : null;
    addSample('ws_session_duration', now() - this.#started, this.#tags);
    if (!opened) {
      this.#log.error = error ?? 'websocket: bad handshake';
      this.#dispatch('error', { error: this.#log.error });
      this.#dispatch('close', { reason: '' });
    } else {
      if (code !== 1000 && code !== 1001) {
        const text = CLOSE_TEXT[/** @type {1000} */ (code)];
        this.#log.error = `websocket: close ${code}${text ? ` (${text})` : ''}${reason ? `: ${reason}` : ''}`;
        this.#dispatch('error', { error: this.#log.error });
      }
      this.#dispatch('close', { code, reason });
    }
    releaseLoop(this.#token);
  }

  /** The iteration failed: k6 closes the socket and runs no more of its handlers. */
  #cancel() {
    this.#cancelled = true;
    this.#readyState = CLOSED;
    this.#socket?.terminate();
  }

  /**
   * Calls the `on<type>` handler, then the added listeners, with one event object.
   * @param {string} type
   * @param {Record<string, unknown>} fields
   * @param {number} [timestamp]
   */
  #dispatch(type, fields, timestamp = now()) {
    const event = { type, target: this, timestamp, ...fields };
    const { on, list } = this.#listeners[type] ?? { on: null, list: [] };
    for (const listener of on === null ? list : [on, ...list]) {
      if (this.#cancelled) return;
      runCallback(listener, [event]);
    }
  }
}
