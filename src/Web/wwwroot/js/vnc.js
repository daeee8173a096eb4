// A QEMU VM's graphical console in the page: noVNC (built in from npm at build time, see
// Ringmaster.Web.csproj) on the machine's display WebSocket (/api/v1/machines/{id}/vnc, RFB bytes
// both ways; the dashboard's cookie signs it in). The status element says Connecting, Connected or
// Disconnected with the reason; its data-state attribute says the same for tests and styles.

let library = null;

// Loads noVNC once. Browsers that follow the HTML standard's older rule keep a failed import for
// its address and fail again without asking (the rule changed with whatwg/html#10327, and Debian's
// Chromium 156 asks again), so after a failure the page asks with the attempt's number in the
// address (?retry=N), which no browser has seen yet.
function loadNoVnc(attempt) {
  const query = attempt > 1 ? `?retry=${attempt}` : "";
  library ??= Promise.all([
    import(`../lib/novnc/core/rfb.js${query}`),
    import(`../lib/novnc/core/input/keysymdef.js${query}`),
  ]).then(([rfb, keysyms]) => ({ RFB: rfb.default, keysyms: keysyms.default }))
    .catch(error => {
      library = null;
      throw error;
    });
  return library;
}

// Loads noVNC (attempt 1, then 2, 3… for each retry); throws when it cannot be loaded. Whether it
// was built in at all the server knows, and says.
export async function load(attempt) {
  await loadNoVnc(attempt);
}

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

// Keysyms of the characters that are not printable (X11's keysymdef.h).
const XK_Return = 0xff0d;
const XK_Tab = 0xff09;
const XK_BackSpace = 0xff08;

class DisplaySession {
  constructor(lib, screen, path, status) {
    this.lib = lib;
    this.screen = screen;
    this.path = path;
    this.status = status;
    this.rfb = null;
    this.disposed = false;
    this.connect();
  }

  setStatus(state, text) {
    this.screen.dataset.state = state;
    if (this.status) {
      this.status.dataset.state = state;
      this.status.textContent = text;
    }
  }

  connect() {
    if (this.disposed) {
      return;
    }
    if (this.rfb) {
      this.rfb.disconnect();
    }
    this.setStatus("connecting", "Connecting…");
    const rfb = new this.lib.RFB(this.screen, socketUrl(this.path), { shared: true });
    rfb.scaleViewport = true;
    rfb.resizeSession = false;
    rfb.focusOnClick = true;
    rfb.background = "#000";
    rfb.addEventListener("connect", () => {
      if (this.rfb === rfb) {
        this.setStatus("connected", "Connected");
        rfb.focus();
      }
    });
    rfb.addEventListener("disconnect", e => {
      if (this.rfb === rfb) {
        this.setStatus("disconnected", e.detail.clean ? "Disconnected" : "Disconnected: the connection to the display was lost (the machine stopped, or its host went away)");
      }
    });
    rfb.addEventListener("securityfailure", e => {
      if (this.rfb === rfb) {
        this.setStatus("disconnected", "Disconnected: the display refused the connection" + (e.detail.reason ? ": " + e.detail.reason : ""));
      }
    });
    this.rfb = rfb;
  }

  reconnect() {
    this.connect();
  }

  get connected() {
    return this.screen.dataset.state === "connected";
  }

  ctrlAltDel() {
    if (this.connected) {
      this.rfb.sendCtrlAltDel();
      this.rfb.focus();
    }
  }

  // Types the text as key presses, one character after another (a paste the guest sees as typing).
  type(text) {
    if (!this.connected) {
      return false;
    }
    for (const ch of text.replace(/\r\n?/g, "\n")) {
      const code = ch.codePointAt(0);
      const keysym = ch === "\n" ? XK_Return : ch === "\t" ? XK_Tab : ch === "\b" ? XK_BackSpace : this.lib.keysyms.lookup(code);
      this.rfb.sendKey(keysym, null, true);
      this.rfb.sendKey(keysym, null, false);
    }
    this.rfb.focus();
    return true;
  }

  async fullScreen() {
    if (document.fullscreenElement) {
      await document.exitFullscreen();
    } else {
      await this.screen.requestFullscreen();
      this.rfb?.focus();
    }
  }

  dispose() {
    this.disposed = true;
    if (this.rfb) {
      const rfb = this.rfb;
      this.rfb = null;
      rfb.disconnect();
    }
  }
}

export async function open(screen, path, status) {
  const lib = await loadNoVnc(1);
  return new DisplaySession(lib, screen, path, status);
}

// Opens the display on a page of its own, in a window of its own.
export function popOut(url, name) {
  window.open(url, name, "popup,width=1060,height=860");
}
