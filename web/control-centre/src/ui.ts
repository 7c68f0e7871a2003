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
