import type { Problem } from "./api";
import { formatWait } from "./dom";

/** What a person reads for an API refusal: what happened and what to do next. */
export function messageFor(problem: Problem): string {
  const wait = problem.retryAfterSeconds !== undefined ? ` Try again in ${formatWait(problem.retryAfterSeconds)}.` : " Try again later.";
  switch (problem.code) {
    case "username_login_disabled":
      return "Sign in with your e-mail address: user names can no longer be used to sign in.";
    case "invalid_credentials":
      return "The e-mail address or password is not right.";
    case "link_expired":
      return "This link no longer works: it has expired or was used already. Ask for a new one with \"Forgot your password?\".";
    case "password_too_short":
    case "password_too_long":
    case "password_too_common":
    case "password_too_predictable":
      return problem.detail ?? "Choose another password.";
    case "validation_failed":
      return problem.detail ?? "Fill in your e-mail address and password.";
    case "phone_number_missing":
      return "Your account has no mobile phone number to send a sign-in code to. Ask your administrator to add one.";
    case "account_locked":
      return `This account is locked after too many failed sign-ins.${wait}`;
    case "rate_limited":
      return `Too many attempts from this network.${wait}`;
    case "mfa_unavailable":
    case "sms_not_sent":
    case "service_unavailable":
      return "We cannot send a sign-in code right now. Try again in a few minutes.";
    case "invalid_code": {
      const left = problem.attemptsLeft;
      if (left === undefined) return "That code is not right. Check the SMS and try again.";
      return `That code is not right. You have ${left} attempt${left === 1 ? "" : "s"} left.`;
    }
    case "challenge_expired":
      return "This code has expired or was already used. Sign in again to get a new code.";
    case "too_many_attempts":
      return "Too many wrong codes. Sign in again to get a new code.";
    case "second_factor_locked":
      return `Too many wrong codes in a row: codes for your account are locked for now.${wait}`;
    case "step_up_required":
      return "This change needs you to confirm it is you with a fresh code. Try it again to get one.";
    case "step_up_method_not_available":
      return "That way of confirming it is you is not available for your account. Choose another.";
    case "session_revoked":
      return "Your session has ended. Sign in again.";
    case "resend_too_soon":
      return `A new code can be sent soon.${wait}`;
    case "send_limit_reached":
      return `No more codes can be sent for now.${wait}`;
    case "network_error":
      return problem.detail ?? "The Control Centre cannot be reached.";
    default:
      return problem.detail ?? problem.title ?? "Something went wrong. Try again.";
  }
}
