// The browser's side of a passkey prompt: the server's WebAuthn JSON in, the credential's JSON out. What the browser
// refuses (the person cancels, no passkey here, the key is already registered) becomes an ApiError with a code of the
// page's own, so the views show it as they show the server's refusals (messages.ts, problems).
import { ApiError } from "./api";
import type { PasskeyPrompt } from "./api";

/** Whether this browser can answer a passkey prompt from JSON (every current browser). */
export function passkeysSupported(): boolean {
  return typeof PublicKeyCredential !== "undefined" && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";
}

/** navigator.credentials.get() for a sign-in or step-up prompt: the signed answer, ready to send. */
export async function signWithPasskey(prompt: PasskeyPrompt): Promise<unknown> {
  return ask(() => navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(withoutNulls(prompt.options) as PublicKeyCredentialRequestOptionsJSON),
  }));
}

/** navigator.credentials.create() for a registration prompt: the new passkey's answer, ready to send. */
export async function createPasskey(prompt: PasskeyPrompt): Promise<unknown> {
  return ask(() => navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(withoutNulls(prompt.options) as PublicKeyCredentialCreationOptionsJSON),
  }));
}

async function ask(prompt: () => Promise<Credential | null>): Promise<unknown> {
  if (!passkeysSupported()) throw browserRefusal("passkey_unsupported");
  let credential: Credential | null;
  try {
    credential = await prompt();
  } catch (error) {
    // NotAllowedError: cancelled, timed out, or no passkey for this site here; InvalidStateError: this device already has one.
    const name = error instanceof DOMException ? error.name : "";
    throw browserRefusal(name === "InvalidStateError" ? "passkey_exists" : name === "NotAllowedError" ? "passkey_cancelled"
      : "passkey_unsupported");
  }
  if (!(credential instanceof PublicKeyCredential)) throw browserRefusal("passkey_cancelled");
  return credential.toJSON();
}

function browserRefusal(code: string): ApiError {
  return new ApiError({ status: 0, code });
}

/** The options' JSON without null members: WebIDL would turn a null string member into the text "null". */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== null)
    .map(([key, member]) => [key, withoutNulls(member)]));
}
