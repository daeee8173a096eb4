// The dashboard's keyboard shortcuts: Ctrl+K (or Cmd+K) and "/" open the search box, "?" lists the
// shortcuts. "/" and "?" are left alone while the focus is where they are typed (a text field, a
// console, a machine's display); Ctrl+K is too in a console or a display, where it is the guest's key.
// In the search box itself the arrow keys move between the results instead of the caret.

function inGuest(target) {
  return target instanceof Element && target.closest("[data-test=console], [data-test=display-screen], .xterm") !== null;
}

function typing(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || inGuest(target)) return true;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
}

export function listen(dotnet, input) {
  const onKey = e => {
    if (e.defaultPrevented || e.isComposing) return;
    const modified = e.ctrlKey || e.metaKey;
    if (modified && !e.altKey && !e.shiftKey && (e.key === "k" || e.key === "K")) {
      if (inGuest(e.target)) return;
      e.preventDefault();
      dotnet.invokeMethodAsync("OpenSearch");
      return;
    }
    if (modified || e.altKey || typing(e.target)) return;
    if (e.key === "/") {
      e.preventDefault();
      dotnet.invokeMethodAsync("OpenSearch");
    } else if (e.key === "?") {
      e.preventDefault();
      dotnet.invokeMethodAsync("ShowShortcuts");
    }
  };
  const onArrow = e => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") e.preventDefault();
  };
  document.addEventListener("keydown", onKey);
  input?.addEventListener("keydown", onArrow);
  return {
    dispose() {
      document.removeEventListener("keydown", onKey);
      input?.removeEventListener("keydown", onArrow);
    },
  };
}

export function focus(input) {
  if (!input) return;
  input.focus();
  input.select();
}

export function blur(input) {
  input?.blur();
}
