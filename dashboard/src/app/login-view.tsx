/** Sign-in with an API token (`runtrail token create`); the server's refusal is shown as it said it. */
import { useState } from "react";
import { setApiToken } from "../api/api-client.js";

export function LoginView({ message }: { message?: string }) {
  const [token, setToken] = useState("");
  return (
    <form
      className="login"
      onSubmit={(event) => {
        event.preventDefault();
        if (token.trim() !== "") setApiToken(token.trim());
      }}
    >
      <h1>Sign in to Runtrail</h1>
      <p className="muted">Paste an API token (made with <code>runtrail token create</code>). You will see only its account's runs.</p>
      {message !== undefined && (
        <div className="alert" role="alert">
          {message}
        </div>
      )}
      {message !== undefined && (
        <p className="muted small" data-testid="login-hint">
          A token that worked before has been revoked or has expired: ask for a new one (<code>runtrail token create</code>).
        </p>
      )}
      <input name="token" type="password" autoComplete="off" placeholder="API token" value={token} onChange={(event) => setToken(event.target.value)} />
      <button type="submit">Sign in</button>
    </form>
  );
}
