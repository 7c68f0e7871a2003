// Pieces every view builds with: sections, tables, fields, busy buttons, and what a refusal says.
import { ApiError } from "./api";
import { h, replaceChildren } from "./dom";
import { messageFor, t } from "./messages";

export function problemOf(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError({ status: 0, code: "unexpected", detail: t.unexpected });
}

/** What to show for a refusal, whatever was thrown. */
export function refusal(error: unknown): string {
  return messageFor(problemOf(error).problem);
}

export function busy(button: HTMLButtonElement, on: boolean): void {
  button.disabled = on;
  button.setAttribute("aria-busy", String(on));
}

export function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: HTMLElement): HTMLElement {
  return h("div", { class: "field" }, h("label", { for: input.id }, label), hint, input);
}

export function section(id: string, title: string, ...children: (HTMLElement | string | false)[]): HTMLElement {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, tabindex: "-1" }, title), ...children);
}

export function table(caption: string, headings: string[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return h("table", {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, ...headings.map((heading) => h("th", { scope: "col" }, heading)))),
    h("tbody", {}, ...rows));
}

/** A box that says "Loading…" until the answer comes, then shows what render makes of it, or the refusal. */
export function loaded<T>(answer: Promise<T>, render: (value: T) => (HTMLElement | string | false)[]): HTMLElement {
  const body = h("div", {}, h("p", {}, t.loading));
  void answer.then(
    (value) => replaceChildren(body, ...render(value)),
    (caught: unknown) => replaceChildren(body, h("p", { class: "error", role: "alert" }, refusal(caught))));
  return body;
}

/**
 * A modal dialog: the focus moves into it when it opens and back to what opened it when it closes;
 * Escape closes it (the browser's own <dialog>), as does its Close button.
 */
export function openDialog(id: string, title: string, content: (HTMLElement | false)[], focus: () => HTMLElement | null,
    closed: () => void): HTMLDialogElement {
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const close = h("button", { type: "button", class: "secondary" }, t.close);
  const dialog = h("dialog", { id, class: "panel", "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), ...content, h("div", { class: "actions end" }, close));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (returnFocus?.isConnected) returnFocus.focus();
    closed();
  });
  document.body.append(dialog);
  dialog.showModal();
  (focus() ?? close).focus();
  return dialog;
}

/** A form part with its own status and error lines, both announced. */
export function messages() {
  const status = h("p", { class: "status", role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  return {
    status,
    error,
    clear: () => {
      status.textContent = "";
      error.textContent = "";
    },
  };
}

/** What a change elsewhere on the page makes stale: the user list after an approval, the approvals after a new number. */
export type Topic = "users" | "phone-changes";

export function changed(topic: Topic): void {
  document.dispatchEvent(new CustomEvent(`cc:${topic}`));
}

/** Runs reload on each change of topic while element is on the page (a new view replaces it, and the listener goes). */
export function onChanged(topic: Topic, element: HTMLElement, reload: () => void): void {
  const listener = () => {
    if (element.isConnected) reload();
    else document.removeEventListener(`cc:${topic}`, listener);
  };
  document.addEventListener(`cc:${topic}`, listener);
}

/** Hands the browser a file to save; a CSV starts with a byte order mark, so spreadsheets read "•" and "é" right. */
export function saveFile(name: string, text: string, type: "text/plain" | "text/csv"): void {
  const url = URL.createObjectURL(new Blob(type === "text/csv" ? ["\uFEFF", text] : [text], { type: `${type};charset=utf-8` }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}
