// Signing in (login code or API token → HttpOnly session cookie) and the list of sessions, each revocable.

import { LANG, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

/** "Chrome 156 · Linux" from a User-Agent string; the raw string goes to the tooltip. */
function device(userAgent) {
  if (!userAgent) return "—";
  const browser = /(Edg|OPR|Firefox|Chrome|Version)\/(\d+)/.exec(userAgent);
  const os = /(Windows|Android|iPhone|iPad|Mac OS X|Linux)/.exec(userAgent);
  const names = { Edg: "Edge", OPR: "Opera", Version: "Safari" };
  const name = browser ? `${names[browser[1]] || browser[1]} ${browser[2]}` : userAgent.slice(0, 40);
  return os ? `${name} · ${os[1] === "Mac OS X" ? "macOS" : os[1]}` : name;
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : new Intl.DateTimeFormat(LANG, { dateStyle: "medium", timeStyle: "short" })
    .format(date);
}

/** The sign-in dialog: whatever is pasted is exchanged for a cookie; nothing is kept by the page. */
export function setupSignIn(api, onSignedIn) {
  const dialog = $("token-dialog");
  const form = $("token-form");
  const input = $("token-input");
  const note = $("token-message");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    const body = value.startsWith("lc_") ? { code: value } : { token: value };
    try {
      await api.post("/api/brain/auth/session", body);
    } catch (err) {
      note.textContent = err.message;
      return;
    }
    input.value = "";
    dialog.close();
    onSignedIn();
  });
  return {
    open(message) {
      note.textContent = message || t("unauthorized");
      if (!dialog.open) dialog.showModal();
      input.focus();
    },
  };
}

/** The sessions dialog: this browser's and the others', each can be ended; "sign out" ends this one. */
export function setupSessions(api, onSignedOut) {
  const dialog = $("sessions-dialog");
  const list = $("sessions-list");
  const message = $("sessions-message");

  async function render() {
    message.textContent = "";
    let items = [];
    try {
      items = (await api.get("/api/brain/auth/sessions")).items || [];
    } catch (err) {
      message.textContent = err.message;
    }
    list.replaceChildren(...items.map((s) => {
      const li = document.createElement("li");
      li.className = "session";
      const text = document.createElement("span");
      text.className = "session-text";
      text.textContent = `${device(s.userAgent)} · ${t("sessionLastUsed", { when: when(s.lastUsedAt || s.createdAt) })}`
        + (s.current ? ` · ${t("sessionCurrent")}` : "");
      text.title = s.userAgent || "";
      const end = document.createElement("button");
      end.type = "button";
      end.className = "btn btn-secondary session-revoke";
      end.textContent = s.current ? t("signOut") : t("sessionRevoke");
      end.addEventListener("click", async () => {
        try {
          if (s.current) {
            await api.delete("/api/brain/auth/session");
            dialog.close();
            onSignedOut();
            return;
          }
          await api.delete(`/api/brain/auth/sessions/${encodeURIComponent(s.id)}`);
        } catch (err) {
          message.textContent = err.message;
        }
        render();
      });
      li.append(text, end);
      return li;
    }));
  }

  $("sessions-open").addEventListener("click", async () => {
    await render();
    if (!dialog.open) dialog.showModal();
  });
  $("sessions-close").addEventListener("click", () => dialog.close());
}
