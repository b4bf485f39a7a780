// sse-broker browser client: one EventSource per browser, shared by all its tabs. No dependencies.
// As an ES module: import { connect } from '/client/sse-broker.js'. It also sets the global `SseBroker`, for
// pages that load it with <script type="module" src="/client/sse-broker.js"> and use it from plain scripts.

const SYSTEM_EVENTS = ['sys_connected', 'sys_extrude_offline', 'sys_kick_offline', 'sys_instance_close', 'sys_reset',
  'sys_unavailable'];
// The broker ended this device's connection on purpose: reconnecting would only be refused (kick) or would
// throw out the device's newer connection elsewhere (extrusion).
const FINAL_EVENTS = new Set(['sys_kick_offline', 'sys_extrude_offline']);
// After sys_instance_close the node is going away: reconnect soon, spread over this many ms, so that the clients
// of a node that stops do not all arrive at the other nodes in the same second.
const INSTANCE_CLOSE_SPREAD_MS = 5000;
// A failed token callback is tried again after this many ms.
const TOKEN_RETRY_MS = 3000;
// A leader that stops for good keeps the lead this long, so that the other tabs hear it before one takes over.
const STOP_GRACE_MS = 1000;
// Heartbeat election, used where the Web Locks API is missing.
const HEARTBEAT_MS = 1000;
const LEADER_TIMEOUT_MS = 3500;
const CLAIM_MS = 300;

/**
 * Connects a device and returns its client. Options: `token` (a JWT, or a function returning one or a promise of
 * one, asked before each connection the client opens), `device` (may be left out when the token names it), `url`
 * (default `/events`), `share` (default true: one connection for all tabs of this browser with the same url and
 * device).
 */
export function connect(options) {
  return new SseBrokerClient(options);
}

export class SseBrokerClient {
  #token;
  #device;
  #url;
  #callbacks = { message: new Set(), system: new Set(), state: new Set(), events: new Map() };
  #wanted = new Set(); // custom event names some tab listens for: the leader subscribes to all of them
  #tabId = Date.now().toString(36) + Math.random().toString(36).slice(2);
  #channel = null;
  #source = null;
  #refusalRetried = false; // one more try with a fresh token after a refusal, until a stream opens again
  #leader = false;
  #closed = false;
  #state = 'connecting';
  #reported = null;
  #lastEventId = '';
  #releaseLock = null;
  #lockRequest = null;
  #timers = new Set();
  #leaderId = null; // heartbeat election: the leader this tab follows, and when it was last heard from
  #leaderHeardAt = 0;
  #claiming = false;
  #onPageHide = () => this.#resign();

  constructor({ token, device, url = '/events', share = true } = {}) {
    if (!token) throw new TypeError('sse-broker: token is required');
    this.#token = token;
    this.#device = device;
    this.#url = url;
    if (!share || typeof BroadcastChannel === 'undefined') {
      this.#becomeLeader();
      return;
    }
    this.#channel = new BroadcastChannel('sse-broker:' + url + ':' + (device || ''));
    this.#channel.onmessage = e => this.#onChannelMessage(e.data);
    this.#post({ type: 'listen', names: [] });
    if (globalThis.navigator?.locks) this.#electByLock();
    else this.#electByHeartbeat();
  }

  /** Messages without an event name: callback({data, id}). Returns a function that removes the callback. */
  onMessage(callback) {
    return this.#add(this.#callbacks.message, callback);
  }

  /** Messages with this event name: callback({event, data, id}). */
  onEvent(name, callback) {
    if (name === 'message' || name.startsWith('sys_')) throw new TypeError('sse-broker: use onMessage or onSystem for ' + name);
    if (!this.#callbacks.events.has(name)) this.#callbacks.events.set(name, new Set());
    this.#want([name]);
    this.#post({ type: 'listen', names: [name] });
    return this.#add(this.#callbacks.events.get(name), callback);
  }

  /** System events (sys_connected, sys_reset, sys_unavailable, sys_instance_close, sys_kick_offline, sys_extrude_offline): callback({event, data, id}). */
  onSystem(callback) {
    return this.#add(this.#callbacks.system, callback);
  }

  /** callback({state, leader}): state is connecting, open or closed (for good); leader: this tab holds the connection. */
  onStateChange(callback) {
    return this.#add(this.#callbacks.state, callback);
  }

  get state() {
    return this.#state;
  }

  get leader() {
    return this.#leader;
  }

  get lastEventId() {
    return this.#lastEventId;
  }

  /** Ends this tab's client. When it held the shared connection, another tab takes over. */
  close() {
    if (this.#closed) return;
    this.#resign();
    this.#closed = true;
    this.#timers.forEach(clearTimeout);
    this.#timers.clear();
    this.#lockRequest?.abort();
    globalThis.removeEventListener?.('pagehide', this.#onPageHide);
    this.#channel?.close();
    this.#channel = null;
    this.#setState('closed');
  }

  // ---- the connection, held by the leader -------------------------------------------------------------------

  async #open() {
    let token;
    try {
      token = typeof this.#token === 'function' ? await this.#token() : this.#token;
    } catch {
      this.#later(() => this.#open(), TOKEN_RETRY_MS);
      return;
    }
    if (!this.#leader || this.#closed) return;
    const params = new URLSearchParams({ token });
    if (this.#device) params.set('device', this.#device);
    // EventSource sends Last-Event-ID by itself when it reconnects; a new EventSource needs the cursor in the URL.
    if (this.#lastEventId) params.set('id', this.#lastEventId);
    const source = this.#source = new EventSource(this.#url + (this.#url.includes('?') ? '&' : '?') + params);
    source.onopen = () => {
      this.#refusalRetried = false;
      this.#setState('open');
    };
    source.onerror = () => {
      if (source !== this.#source) return;
      if (source.readyState !== EventSource.CLOSED) {
        this.#setState('connecting');
        return;
      }
      // CLOSED: the broker answered other than 200 (204 after a kick, 401 for a refused token). A token that
      // expired while the stream was open is the usual 401: when a callback can mint another, try once more with
      // it (and the cursor, so that a kicked device is still told 204), then stop.
      if (typeof this.#token === 'function' && !this.#refusalRetried) {
        this.#refusalRetried = true;
        this.#closeSource();
        this.#setState('connecting');
        this.#later(() => this.#open(), TOKEN_RETRY_MS);
      } else {
        this.#stopForGood();
      }
    };
    for (const name of new Set(['message', ...SYSTEM_EVENTS, ...this.#wanted])) this.#subscribe(name);
    this.#setState('connecting');
  }

  #subscribe(name) {
    const source = this.#source;
    source?.addEventListener(name, e => {
      if (source === this.#source) this.#receive({ event: name, data: e.data, id: e.lastEventId });
    });
  }

  #receive(event) {
    this.#deliver(event);
    this.#post({ type: 'event', event });
    if (FINAL_EVENTS.has(event.event)) {
      this.#stopForGood();
    } else if (event.event === 'sys_instance_close') {
      this.#closeSource();
      this.#setState('connecting');
      this.#later(() => this.#open(), Math.random() * INSTANCE_CLOSE_SPREAD_MS);
    }
  }

  // Every tab's client ends: the broker will not take this device back with these credentials.
  #stopForGood() {
    this.#post({ type: 'stopped' });
    const release = this.#releaseLock;
    this.#releaseLock = null;
    this.close();
    if (release) setTimeout(release, STOP_GRACE_MS);
  }

  #closeSource() {
    this.#source?.close();
    this.#source = null;
  }

  // ---- what every tab does ----------------------------------------------------------------------------------

  #deliver(event) {
    if (event.id) this.#lastEventId = event.id;
    const callbacks = event.event === 'message' ? this.#callbacks.message
      : event.event.startsWith('sys_') ? this.#callbacks.system
        : this.#callbacks.events.get(event.event);
    callbacks?.forEach(callback => callback(event));
  }

  #setState(state) {
    this.#state = state;
    if (this.#leader) this.#post(this.#status());
    if (this.#reported?.state === state && this.#reported.leader === this.#leader) return;
    this.#reported = { state, leader: this.#leader };
    this.#callbacks.state.forEach(callback => callback({ state, leader: this.#leader }));
  }

  #status() {
    return { type: 'status', from: this.#tabId, state: this.#state, lastEventId: this.#lastEventId, names: [...this.#wanted] };
  }

  #want(names) {
    for (const name of names) {
      if (this.#wanted.has(name)) continue;
      this.#wanted.add(name);
      this.#subscribe(name);
    }
  }

  // ---- sharing between tabs ---------------------------------------------------------------------------------

  #onChannelMessage(message) {
    switch (message.type) {
      case 'event': // relayed by the leader
        this.#deliver(message.event);
        break;
      case 'stopped':
        this.close();
        break;
      case 'listen': // a tab started, or listens for a new event name
        this.#want(message.names);
        if (this.#leader) this.#post(this.#status());
        break;
      case 'status': // from the leader: its state, its cursor (for a takeover) and the names it listens for
        this.#heardLeader(message.from);
        this.#want(message.names);
        if (this.#leader) break;
        if (message.lastEventId) this.#lastEventId = message.lastEventId;
        this.#setState(message.state);
        break;
      case 'leader':
        this.#heardLeader(message.from);
        break;
      case 'claim':
        if (this.#leader) this.#post(this.#status());
        else if (this.#claiming && message.from < this.#tabId) this.#claiming = false;
        break;
      case 'resign':
        if (message.from === this.#leaderId) this.#leaderHeardAt = 0;
        break;
    }
  }

  #becomeLeader() {
    if (this.#closed) {
      this.#releaseLock?.();
      return;
    }
    this.#leader = true;
    this.#post({ type: 'leader', from: this.#tabId });
    this.#open();
  }

  #resign() {
    if (!this.#leader) return;
    this.#leader = false;
    this.#closeSource();
    this.#post({ type: 'resign', from: this.#tabId });
    this.#releaseLock?.();
    this.#releaseLock = null;
  }

  // The Web Locks API grants the lock to one tab at a time and hands it to the next waiting tab when the
  // holder's page goes away, crashes included.
  #electByLock() {
    this.#lockRequest = new AbortController();
    navigator.locks.request(this.#channel.name, { signal: this.#lockRequest.signal },
      () => new Promise(release => {
        this.#releaseLock = release;
        this.#becomeLeader();
      }))
      .catch(() => { /* the request was aborted by close() */ });
  }

  // Without Web Locks: the leader sends its status every second; when it has been silent for a while, tabs
  // claim the lead and the lowest tab id wins. A leader that hears a leader with a lower id gives way.
  // Browsers slow down timers of hidden tabs, so this is a fallback, not a match for the lock.
  #electByHeartbeat() {
    globalThis.addEventListener?.('pagehide', this.#onPageHide);
    const tick = () => {
      if (this.#leader) {
        this.#post(this.#status());
      } else if (!this.#claiming && Date.now() - this.#leaderHeardAt > LEADER_TIMEOUT_MS) {
        this.#claiming = true;
        this.#post({ type: 'claim', from: this.#tabId });
        this.#later(() => {
          if (!this.#claiming) return;
          this.#claiming = false;
          this.#becomeLeader();
        }, CLAIM_MS);
      }
      this.#later(tick, HEARTBEAT_MS);
    };
    // A leader answers this tab's first 'listen' at once; without an answer the tab claims after CLAIM_MS.
    this.#leaderHeardAt = Date.now() - LEADER_TIMEOUT_MS + CLAIM_MS;
    this.#later(tick, CLAIM_MS);
  }

  #heardLeader(from) {
    this.#leaderId = from;
    this.#leaderHeardAt = Date.now();
    this.#claiming = false;
    // Two leaders happen only in the heartbeat election (a lock has one holder at a time).
    if (this.#leader && !this.#lockRequest && from < this.#tabId) {
      this.#resign();
      this.#setState(this.#state);
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  #post(message) {
    this.#channel?.postMessage(message);
  }

  #later(task, ms) {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      task();
    }, ms);
    this.#timers.add(timer);
  }

  #add(callbacks, callback) {
    callbacks.add(callback);
    return () => callbacks.delete(callback);
  }
}

globalThis.SseBroker = { connect, SseBrokerClient };
