// What the side panels (history.js, rules.js) share: the page's language, a JSON call authenticated by
// the session cookie (same origin), and a button of their own in the sidebar.

export const RU = (document.documentElement.lang || navigator.language || "ru").toLowerCase().startsWith("ru");

export async function call(method, path, body) {
  const response = await fetch(path, {
    method, cache: "no-store", credentials: "same-origin",
    headers: { Accept: "application/json", "Accept-Language": RU ? "ru" : "en",
               ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
  return data;
}

export function sidebarButton(id, label) {
  const head = document.querySelector(".sidebar-head");
  if (!head) return null;
  const button = document.createElement("button");
  button.type = "button";
  button.id = id;
  button.className = "btn";
  button.textContent = label;
  head.append(button);
  return button;
}
