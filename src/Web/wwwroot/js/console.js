// A machine's console in the page: the console WebSocket (raw bytes both ways, scrollback first)
// shown in xterm.js when it was built in, or in a plain text console when it was not. The socket
// reconnects with backoff when it closes (the guest rebooted, the server restarted). Text messages
// are the server's events: the machine is moving to another host, or it moved and the console follows.
// When the terminal's size changes (and each time the socket opens) it is posted to the console's
// size endpoint, so a container's TTY knows its columns and rows.

const scripts = new Map();

function loadScript(src) {
  if (!scripts.has(src)) {
    scripts.set(src, new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve();
      s.onerror = () => {
        // Forget the failure, so a later console tries again.
        scripts.delete(src);
        s.remove();
        reject(new Error("not found: " + src));
      };
      document.head.appendChild(s);
    }));
  }
  return scripts.get(src);
}

async function loadXterm() {
  try {
    await loadScript("lib/xterm/xterm.js");
    await loadScript("lib/xterm/addon-fit.js");
    return window.Terminal && window.FitAddon ? { Terminal: window.Terminal, FitAddon: window.FitAddon.FitAddon } : null;
  } catch {
    return null;
  }
}

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

class XtermView {
  constructor(element, lib, send, resized) {
    // A line height above 1 leaves room under the baseline: with the font's own height a row clips
    // the underscore (x86_64 read "x86 64") and the descenders. The fonts are the common monospace
    // ones that draw it; the browser's "monospace" is the last resort.
    this.term = new lib.Terminal({
      convertEol: false, scrollback: 5000, cursorBlink: true, fontSize: 14, lineHeight: 1.2,
      fontFamily: '"DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono", Menlo, Consolas, "Courier New", monospace',
    });
    // Ctrl+V pastes as Ctrl+Shift+V does: xterm would send it as ^V and cancel the browser's paste.
    // Returning false leaves the key to the browser, whose paste event xterm then sends as input.
    this.term.attachCustomKeyEventHandler(e =>
      !(e.type === "keydown" && e.ctrlKey && !e.shiftKey && !e.altKey && !e.metaKey && (e.key === "v" || e.key === "V")));
    this.fit = new lib.FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(element);
    this.fit.fit();
    this.term.onData(data => send(new TextEncoder().encode(data)));
    this.term.onResize(size => resized(size.cols, size.rows));
    this.resized = resized;
    this.resizeObserver = new ResizeObserver(() => { try { this.fit.fit(); } catch { } });
    this.resizeObserver.observe(element);
    this.kind = "xterm";
  }
  reset() { this.term.reset(); }
  write(bytes) { this.term.write(bytes); }
  notice(text) { this.term.write(`\r\n\x1b[33m[${text}]\x1b[0m\r\n`); }
  focus() { this.term.focus(); }
  announceSize() { this.resized(this.term.cols, this.term.rows); }
  dispose() { this.resizeObserver.disconnect(); this.term.dispose(); }
}

class TextView {
  constructor(element, send) {
    this.decoder = new TextDecoder();
    this.pre = document.createElement("pre");
    this.pre.className = "rm-console-text";
    this.input = document.createElement("input");
    this.input.className = "rm-console-input";
    this.input.placeholder = "Type a command and press Enter";
    this.input.setAttribute("aria-label", "Console input");
    this.input.addEventListener("keydown", e => {
      if (e.key === "Enter") {
        send(new TextEncoder().encode(this.input.value + "\r"));
        this.input.value = "";
        e.preventDefault();
      }
    });
    element.append(this.pre, this.input);
    this.kind = "text";
  }
  reset() { this.pre.textContent = ""; }
  write(bytes) {
    // Strip terminal escape sequences: a plain console cannot draw them.
    const text = this.decoder.decode(bytes, { stream: true }).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
    this.pre.textContent += text;
    if (this.pre.textContent.length > 200000) this.pre.textContent = this.pre.textContent.slice(-150000);
    this.pre.scrollTop = this.pre.scrollHeight;
  }
  notice(text) { this.pre.textContent += `\n[${text}]\n`; }
  focus() { this.input.focus(); }
  announceSize() { }
  dispose() { this.pre.remove(); this.input.remove(); }
}

// While the machine is stopped there is nothing to talk to: the console keeps what it showed,
// says so, and connects again when it is told the machine started.
export async function open(element, path, status, stoppedText) {
  const lib = await loadXterm();
  let socket = null;
  let closed = false;
  let stopped = false;
  let delay = 500;
  let timer = null;
  const send = bytes => { if (socket && socket.readyState === WebSocket.OPEN) socket.send(bytes); };
  const resized = (columns, rows) => {
    fetch(path + "/size", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ columns, rows }) })
      .catch(() => { }); // a guest that is not running has no terminal to tell
  };
  const view = lib ? new XtermView(element, lib, send, resized) : new TextView(element, send);
  element.dataset.console = view.kind;
  const report = (state, text) => {
    element.dataset.state = state;
    if (status) status.textContent = text;
  };

  // The console follows the machine: while it moves to another host the status says so (the
  // stream is not "connected" to where it is going yet); once it runs there the server has attached
  // the console to the new host, and the console says it reconnected.
  const told = message => {
    switch (message.event) {
      case "moving":
        report("moving", message.text);
        break;
      case "moved":
        report("open", `${message.text} Click the console and type.`);
        view.notice(message.text.replace(/\.$/, "").replace(/^R/, "r"));
        view.announceSize();
        break;
      case "stayed":
        report("open", `${message.text} Click the console and type.`);
        break;
    }
  };

  const connect = () => {
    if (closed || stopped) return;
    report("connecting", "Connecting to the console…");
    const ws = new WebSocket(socketUrl(path));
    ws.binaryType = "arraybuffer";
    let fresh = true;
    ws.onopen = () => { if (socket !== ws) return; delay = 500; report("open", "Connected. Click the console and type."); view.announceSize(); };
    ws.onmessage = e => {
      if (socket !== ws) return; // a socket closed because the machine stopped
      if (typeof e.data === "string") { told(JSON.parse(e.data)); return; } // the server's word, not the guest's output
      if (fresh) { view.reset(); fresh = false; } // the server replays the scrollback first
      view.write(new Uint8Array(e.data));
    };
    ws.onclose = () => {
      if (closed || stopped || socket !== ws) return;
      report("reconnecting", `Disconnected; reconnecting in ${Math.round(delay / 100) / 10} s…`);
      view.notice("console disconnected, reconnecting");
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 8000);
    };
    socket = ws;
  };
  const stop = text => {
    stopped = true;
    clearTimeout(timer);
    const ws = socket;
    socket = null;
    if (ws) ws.close();
    report("stopped", text);
  };
  const start = () => {
    if (!stopped) return;
    stopped = false;
    delay = 500;
    connect();
  };
  if (stoppedText) stop(stoppedText); else connect();

  return {
    focus: () => view.focus(),
    fullScreen: async frame => {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await frame.requestFullscreen();
      view.focus();
    },
    kind: () => view.kind,
    stopped: text => stop(text),
    started: () => start(),
    dispose: () => {
      closed = true;
      clearTimeout(timer);
      if (socket) socket.close();
      view.dispose();
    },
  };
}
