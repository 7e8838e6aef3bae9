/**
 * The page at /: join a room, chat, watch broadcasts, and see what happens when the instance
 * you are connected to goes away (the goodbye, the countdown, the new instance, the total
 * carried over). All connection logic lives in js/; this file only draws.
 */

import { ChatConnection } from './js/connection.js';
import { ROOM_PATTERN } from './js/session.js';

const $ = (id) => document.getElementById(id);

const STATE_TEXT = {
  idle: 'not connected',
  connecting: 'connecting…',
  open: 'connected',
  leaving: 'server going away',
  waiting: 'reconnecting',
  stopped: 'disconnected',
};

const log = $('log');
const banner = $('banner');
const joinForm = $('join');
const composeForm = $('compose');
const roomInput = $('room');
const textInput = $('text');
/** @type {Map<string, HTMLLIElement>} own messages by client id */
const own = new Map();
let countdown = null;

const chat = new ChatConnection({ onEvent: handle });

joinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const room = roomInput.value.trim();
  if (!ROOM_PATTERN.test(room)) {
    roomInput.reportValidity();
    return;
  }
  chat.join(room);
});

composeForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = textInput.value;
  if (text.trim() === '') {
    return;
  }
  const entry = chat.send(text);
  addOwn(entry);
  textInput.value = '';
  textInput.focus();
});

if (chat.rememberedRoom && ROOM_PATTERN.test(chat.rememberedRoom)) {
  // A reload of this tab: resume the session in the room it was in.
  roomInput.value = chat.rememberedRoom;
  chat.join(chat.rememberedRoom);
}
// Marks the page as live (the module ran), for people and tests alike.
document.documentElement.dataset.ready = 'true';

function handle(event) {
  switch (event.type) {
    case 'state':
      showState(event);
      break;
    case 'welcome':
      hideBanner();
      if (event.previousInstance) {
        notice(`Reconnected to ${event.instance} (was ${event.previousInstance}); your total ${event.total} continues`
          + (event.resending ? `; sending the ${event.resending} waiting` : '') + '.', 'welcome');
      } else {
        notice(`Connected to ${event.instance}, room ${event.room}; your total is ${event.total}.`, 'welcome');
      }
      break;
    case 'sent':
      setStatus(event.entry, 'sent', event.resend ? 're-sent…' : 'sending…');
      break;
    case 'queued':
      setStatus(event.entry, 'waiting', 'waiting for connection');
      break;
    case 'ack':
      if (event.entry) {
        const again = event.entry.sends > 1 ? ` (sent ${event.entry.sends}×)` : '';
        setStatus(event.entry, 'acked', `✓ ${event.entry.total}${again}`);
      }
      break;
    case 'error':
      if (event.entry) {
        setStatus(event.entry, event.retry ? 'waiting' : 'failed',
          event.retry ? 'not processed; will re-send after reconnecting' : `✗ ${event.code}: ${event.message}`);
      } else {
        notice(`Server: ${event.message} (${event.code})`, 'error');
      }
      break;
    case 'message':
      // Your own messages are already on the page, with their status; skip their echo.
      if (!event.own) {
        line('message', event.from ? event.from.slice(0, 8) : '?', event.text);
      }
      break;
    case 'broadcast':
      addBroadcast(event);
      break;
    case 'gap':
      notice(`Messages sent while you were away may be missing (${event.streams.join(' and ')}): `
        + 'the server could not replay everything since you left.', 'error');
      break;
    case 'bye':
      for (const entry of event.unanswered) {
        setStatus(entry, 'waiting', 'unanswered at goodbye; will re-send');
      }
      notice(`${event.instance} said goodbye: “${event.message}”. Your total ${event.total} is saved; `
        + `reconnecting in ${seconds(event.reconnectAfterMs)}.`, 'bye');
      showBanner('bye', `${event.instance} is going away.`, event.reconnectAt);
      break;
    case 'lost':
      for (const entry of event.unanswered) {
        setStatus(entry, 'waiting', 'unanswered; will re-send');
      }
      notice(`Connection lost${event.code ? ` (${event.code}${event.reason ? ` ${event.reason}` : ''})` : `: ${event.reason}`}; `
        + `retrying in ${seconds(event.reconnectAfterMs)} (attempt ${event.attempt}).`, 'lost');
      showBanner('lost', event.code === 1013 ? 'Server busy or going away.' : 'Connection lost.', event.reconnectAt);
      break;
    case 'refused':
      hideBanner();
      notice(`The server refused the connection (${event.code} ${event.reason}).`, 'error');
      break;
    case 'closed':
      break;
    case 'protocol':
      console.warn('unexpected frame from server', event);
      break;
    default:
      break;
  }
}

function showState(s) {
  const stateEl = $('state');
  stateEl.dataset.state = s.phase;
  stateEl.textContent = STATE_TEXT[s.phase] ?? s.phase;
  $('instance').textContent = s.instance ?? '–';
  $('instance').classList.toggle('stale', s.phase !== 'open');
  $('room-name').textContent = s.room ?? '–';
  $('total').textContent = s.total ?? '–';
  $('pending').textContent = String(s.pending);
  $('session').textContent = s.sessionId ? s.sessionId.slice(0, 8) : '–';
  $('session').title = s.sessionId ?? '';
  const canType = s.phase !== 'idle' && s.phase !== 'stopped';
  textInput.disabled = !canType;
  composeForm.querySelector('button').disabled = !canType;
  if (canType && textInput.placeholder !== 'Say something') {
    textInput.placeholder = 'Say something';
  }
}

function showBanner(kind, text, at) {
  banner.hidden = false;
  banner.dataset.kind = kind;
  const tick = () => {
    const left = Math.max(0, at - Date.now());
    banner.textContent = left > 0 ? `${text} Reconnecting in ${seconds(left)}…` : `${text} Reconnecting…`;
    if (left === 0) {
      stopCountdown();
    }
  };
  stopCountdown();
  tick();
  countdown = setInterval(tick, 100);
}

function hideBanner() {
  stopCountdown();
  banner.hidden = true;
  banner.textContent = '';
}

function stopCountdown() {
  if (countdown !== null) {
    clearInterval(countdown);
    countdown = null;
  }
}

function addOwn(entry) {
  const li = line('own', 'you', entry.text);
  li.dataset.id = entry.id;
  const status = document.createElement('span');
  status.className = 'status';
  li.append(status);
  own.set(entry.id, li);
  setStatus(entry, entry.state === 'sent' ? 'sent' : 'waiting', entry.state === 'sent' ? 'sending…' : 'waiting for connection');
}

function setStatus(entry, status, text) {
  const li = own.get(entry.id);
  if (!li) {
    return;
  }
  li.dataset.status = status;
  li.dataset.sends = String(entry.sends);
  if (entry.code) {
    li.dataset.code = entry.code; // the last error it got, e.g. draining before a re-send
  }
  li.querySelector('.status').textContent = text;
}

function line(kind, who, text) {
  const li = document.createElement('li');
  li.dataset.kind = kind;
  const whoEl = document.createElement('span');
  whoEl.className = 'who';
  whoEl.textContent = who;
  const textEl = document.createElement('span');
  textEl.className = 'text';
  textEl.textContent = text;
  li.append(whoEl, textEl);
  append(li);
  return li;
}

function addBroadcast(b) {
  const li = document.createElement('li');
  li.dataset.kind = 'broadcast';
  li.dataset.level = ['info', 'warning', 'error'].includes(b.level) ? b.level : 'info';
  const title = document.createElement('strong');
  title.className = 'title';
  title.textContent = b.title || 'Broadcast';
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = b.message;
  li.append(title, text);
  append(li);
}

function notice(text, kind) {
  const li = document.createElement('li');
  li.dataset.kind = 'notice';
  li.dataset.notice = kind;
  li.textContent = text;
  append(li);
}

function append(li) {
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(li);
  if (atBottom) {
    log.scrollTop = log.scrollHeight;
  }
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
